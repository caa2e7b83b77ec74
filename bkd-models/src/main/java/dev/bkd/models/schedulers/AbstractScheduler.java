package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.NoiseSource;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every scheduler shares: config and noise schedule, timestep bookkeeping, the history manager that
 * {@link #setTimesteps} resets, and the scoped execution of {@link #step} (temporaries die with the step, results
 * land in the caller's manager).
 *
 * <p>Scalar coefficients are computed in Java {@code float} in the same order diffusers computes them on
 * 0-dim float32 tensors, and applied with one DJL op per torch op, so results match diffusers to float32 rounding.
 */
abstract class AbstractScheduler implements Scheduler {
    protected final SchedulerConfig cfg;
    /** The timestep options of {@link #cfg}, resolved with the building class's defaults. */
    protected final TimestepOptions steps;
    protected final NoiseSchedule schedule;
    private final String name;
    private NDManager owner;
    private NDManager history;
    private final List<NDArray> retired = new ArrayList<>();
    protected float[] timesteps;

    AbstractScheduler(String name, String className, SchedulerConfig cfg, TimestepOptions steps) {
        this.name = name;
        this.cfg = cfg.withClassName(className);
        this.steps = steps;
        this.schedule = new NoiseSchedule(cfg);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final SchedulerConfig config() {
        return cfg;
    }

    @Override
    public final NoiseSchedule noiseSchedule() {
        return schedule;
    }

    @Override
    public final void setTimesteps(int numInferenceSteps) {
        if (numInferenceSteps < 1 || numInferenceSteps > steps.numTrainTimesteps()) {
            throw new SchedulerException(name + ": number of inference steps must be in [1, "
                    + steps.numTrainTimesteps() + "] (num_train_timesteps), got " + numInferenceSteps);
        }
        clearHistory();
        timesteps = computeTimesteps(numInferenceSteps);
    }

    /** Builds the timesteps for {@code n} steps and resets every piece of per-run state. */
    protected abstract float[] computeTimesteps(int n);

    @Override
    public final float[] timesteps() {
        requireTimesteps();
        return timesteps.clone();
    }

    protected final void requireTimesteps() {
        if (timesteps == null) {
            throw new SchedulerException(name + ": call setTimesteps(n) before sampling");
        }
    }

    /** 1 for variance-preserving schedulers; sigma-space schedulers override. */
    @Override
    public float initNoiseSigma() {
        return 1f;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, float timestep) {
        return sample;
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        return schedule.addNoise(original, noise, timesteps);
    }

    @Override
    public final StepOutput step(NDArray modelOutput, float timestep, NDArray sample, NoiseSource generator) {
        return run(modelOutput, timestep, sample, scope -> {
            if (generator == null) {
                throw new SchedulerException(name + ": this step draws variance noise; pass a Generator or a TorchGenerator");
            }
            return generator.randn(scope.manager(), sample.getShape()).toDevice(sample.getDevice(), false);
        });
    }

    @Override
    public final StepOutput stepWithNoise(NDArray modelOutput, float timestep, NDArray sample, NDArray varianceNoise) {
        if (varianceNoise != null && !varianceNoise.getShape().equals(sample.getShape())) {
            throw new SchedulerException(name + ": variance noise shape " + varianceNoise.getShape()
                    + " != sample shape " + sample.getShape());
        }
        return run(modelOutput, timestep, sample, scope -> {
            if (varianceNoise == null) {
                throw new SchedulerException(name + ": this step needs variance noise, but none was given");
            }
            return scope.in(varianceNoise);
        });
    }

    private StepOutput run(NDArray modelOutput, float timestep, NDArray sample, Noise noise) {
        requireTimesteps();
        if (!modelOutput.getShape().equals(sample.getShape())) {
            throw new SchedulerException(name + ": model output shape " + modelOutput.getShape()
                    + " != sample shape " + sample.getShape());
        }
        StepOutput out;
        try (Scope scope = new Scope(sample.getManager())) {
            out = doStep(scope, scope.in(modelOutput), timestep, scope.in(sample), () -> noise.draw(scope));
            out = new StepOutput(scope.keep(out.prevSample()), scope.keep(out.predOriginalSample()));
        }
        for (NDArray a : retired) {
            a.close();
        }
        retired.clear();
        return out;
    }

    /**
     * The algorithm: every array it makes lands in {@code scope}; outputs must be new arrays (never an input).
     * Arrays from {@link #remember} must go through {@code scope.in} before being used as a first operand.
     */
    protected abstract StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample,
            NoiseDraw noise);

    /** Lazily draws the step's variance noise (so deterministic steps consume no random numbers). */
    protected interface NoiseDraw {
        NDArray draw();
    }

    private interface Noise {
        NDArray draw(Scope scope);
    }

    /** A copy of {@code a} owned by the scheduler until the next {@link #setTimesteps} or {@link #close}. */
    protected final NDArray remember(NDArray a) {
        if (history == null) {
            if (owner == null) {
                owner = NDManager.newBaseManager(a.getDevice());
            }
            history = owner.newSubManager();
        }
        NDArray copy = a.duplicate();
        copy.attach(history);
        return copy;
    }

    /** Frees a remembered array once the current step is done. */
    protected final void forget(NDArray a) {
        if (a != null) {
            retired.add(a);
        }
    }

    /** Arrays the scheduler currently holds (tests check that history neither leaks nor survives a reset). */
    int historyArrays() {
        return history == null ? 0 : history.getManagedArrays().size();
    }

    private void clearHistory() {
        retired.clear();
        if (history != null) {
            history.close();
            history = null;
        }
    }

    @Override
    public void close() {
        clearHistory();
        if (owner != null) {
            owner.close();
            owner = null;
        }
    }

    /** The error for a config value this scheduler class cannot run (diffusers raises for it too). */
    protected final dev.bkd.core.config.ConfigException unsupported(String field, Object value, String supported) {
        return new dev.bkd.core.config.ConfigException(dev.bkd.core.config.SchedulerConfig.FILE_NAME + ": field `"
                + field + "` = " + (value instanceof String ? "\"" + value + "\"" : String.valueOf(value))
                + " is not supported by " + cfg.className() + " (supported: " + supported + ")");
    }

    /** An integer training timestep given as float; rejects fractions and values outside the schedule. */
    protected final int discreteTimestep(float t) {
        int ti = (int) t;
        if (ti != t) {
            throw new SchedulerException(name + ": timestep " + t + " is not an integer training timestep");
        }
        schedule.checkTimestep(ti);
        return ti;
    }

    /**
     * A step's temporary manager: inputs are temp-attached (returned to their owners on close), results are
     * attached to the caller's manager by {@link #keep}.
     */
    protected static final class Scope implements AutoCloseable {
        private final NDManager target;
        private final NDManager tmp;
        private final Map<NDArray, Boolean> attached = new IdentityHashMap<>();

        Scope(NDManager target) {
            this.target = target;
            this.tmp = target.newSubManager();
        }

        NDManager manager() {
            return tmp;
        }

        /** Makes ops whose first operand is {@code a} create their results in this scope. */
        NDArray in(NDArray a) {
            if (a != null && a.getManager() != tmp && attached.put(a, Boolean.TRUE) == null) {
                a.tempAttach(tmp);
            }
            return a;
        }

        NDArray keep(NDArray a) {
            if (a == null) {
                return null;
            }
            if (attached.containsKey(a)) { // never hand back an input as a result
                a = a.duplicate();
            }
            a.attach(target);
            return a;
        }

        @Override
        public void close() {
            tmp.close();
        }
    }
}
