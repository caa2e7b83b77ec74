package dev.bkd.train.loop;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.djl.Autograd;
import dev.bkd.train.TrainStateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Data parallelism as a step option of {@link TrainingLoop}: one replica of the objective per device (replica 0 is
 * the loop's own objective, whose parameters the optimizer owns). A step's micro-batches are drawn exactly as a
 * single-device run with K times the gradient accumulation draws them (same data order, noise and timesteps from
 * the one run RNG), micro-batch i runs on replica i mod K, and its gradients are added into one accumulator in
 * micro-batch order right after its backward. So K replicas with accumulation A give, bit for bit on one kind of
 * device, the gradients of one device with accumulation K·A: the same terms summed in the same order. After the
 * optimizer step the new weights are copied to every replica.
 *
 * <p>DJL allows one GradientCollector per JVM, so the replicas' forward/backward passes run one after another from
 * the loop's thread, each under its own collector. On CPU that is the only choice anyway (the cores are shared);
 * on CUDA, kernels are queued asynchronously per device, but the loss read-back after each micro-batch
 * synchronises, so replicas overlap only partly. Overlapping them fully (a thread per device with its own grad
 * mode) and reducing across machines are described in docs/multi-node.md.
 */
public final class DataParallel implements AutoCloseable {
    private final List<Objective> replicas;
    private final List<Device> devices;

    /**
     * {@code replicas.get(0)} must be the loop's objective; the others hold the same model on {@code devices}
     * (same names and shapes of trainable parameters).
     */
    public DataParallel(List<Objective> replicas, List<Device> devices) {
        if (replicas.size() != devices.size() || replicas.isEmpty()) {
            throw new IllegalArgumentException(replicas.size() + " replicas for " + devices.size() + " devices");
        }
        this.replicas = List.copyOf(replicas);
        this.devices = List.copyOf(devices);
        Map<String, NDArray> master = replicas.get(0).trainable();
        for (int r = 1; r < replicas.size(); r++) {
            Map<String, NDArray> p = replicas.get(r).trainable();
            if (!p.keySet().equals(master.keySet())) {
                throw new TrainStateException("replica " + r + " on " + devices.get(r) + " trains other parameters"
                        + " than replica 0; every replica must be the same model");
            }
        }
    }

    /**
     * Builds the replicas of {@code master} for {@code devices} (devices.get(0) is the master's): {@code build}
     * makes one objective from scratch whose arrays live in the manager it is given (a sub-manager of {@code root}
     * on that replica's device). {@code devices.get(0)} must be {@code root}'s device. Their weights are replaced by the master's when training starts.
     */
    public static DataParallel replicate(Objective master, List<Device> devices, NDManager root,
                                         Function<NDManager, ? extends Objective> build) {
        if (!devices.get(0).equals(root.getDevice())) {
            throw new ConfigException("the first of the devices " + devices + " must be the run's device "
                    + root.getDevice());
        }
        List<Objective> all = new ArrayList<>(List.of(master));
        try {
            for (int r = 1; r < devices.size(); r++) {
                all.add(build.apply(root.newSubManager(devices.get(r))));
            }
            return new DataParallel(all, devices);
        } catch (RuntimeException e) {
            for (int r = 1; r < all.size(); r++) {
                all.get(r).close();
            }
            throw e;
        }
    }

    /** Number of replicas (devices). */
    public int size() {
        return replicas.size();
    }

    /** The objective micro-batch {@code micro} of a step runs on. */
    Objective replicaFor(int micro) {
        return replicas.get(micro % replicas.size());
    }

    /** {@code b} on the device of micro-batch {@code micro}'s replica (as is when it is already there). */
    DiffusionBatch onReplica(DiffusionBatch b, int micro) {
        Device d = devices.get(micro % replicas.size());
        if (b.latents().getDevice().equals(d)) {
            return b;
        }
        return new DiffusionBatch(b.latents().toDevice(d, false), b.noise().toDevice(d, false),
                b.timesteps().toDevice(d, false), b.noisyLatents().toDevice(d, false),
                b.encoderHiddenStates().toDevice(d, false), b.target().toDevice(d, false), b.captions());
    }

    /**
     * Adds the gradients micro-batch {@code micro}'s backward left on its replica into {@code acc} (arrays on the
     * master's device, owned by {@code scope}), then clears them on the replica.
     */
    void accumulate(int micro, Map<String, NDArray> acc, NDManager scope) {
        Map<String, NDArray> params = replicaFor(micro).trainable();
        Device master = devices.get(0);
        try (NDManager tmp = scope.newSubManager()) {
            for (Map.Entry<String, NDArray> g : Autograd.grads(params, tmp).entrySet()) {
                NDArray sum = acc.get(g.getKey());
                if (sum == null) {
                    // duplicate, not toDevice(same device, copy): the latter may alias the .grad zeroed below
                    NDArray copy = g.getValue().getDevice().equals(master) ? g.getValue().duplicate()
                            : g.getValue().toDevice(master, true);
                    copy.attach(scope);
                    acc.put(g.getKey(), copy);
                } else {
                    sum.addi(g.getValue().toDevice(master, false));
                }
            }
        }
        Autograd.zeroGrads(params);
    }

    /** Closes the replicas other than the master (whose owner closes it). */
    @Override
    public void close() {
        for (int r = 1; r < replicas.size(); r++) {
            replicas.get(r).close();
        }
    }

    /** Copies the master's (replica 0's) trainable weights into every other replica. */
    void broadcast() {
        Map<String, NDArray> master = replicas.get(0).trainable();
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (int r = 1; r < replicas.size(); r++) {
                Map<String, NDArray> p = replicas.get(r).trainable();
                for (Map.Entry<String, NDArray> e : p.entrySet()) {
                    NDArray src = master.get(e.getKey());
                    NDArray moved = src.toDevice(devices.get(r), true);
                    try {
                        moved.copyTo(e.getValue());
                    } finally {
                        moved.close();
                    }
                }
            }
        }
    }
}
