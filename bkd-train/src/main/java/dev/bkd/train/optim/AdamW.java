package dev.bkd.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.ops.AdamWStep;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.weights.StateDict;
import dev.bkd.train.TrainStateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * torch.optim.AdamW (amsgrad=False, maximize=False): decoupled weight decay, bias-corrected moments, eps added
 * after the square root. State is kept per parameter name, created on a parameter's first step like torch's
 * lazy state, so the parameter arrays themselves may be replaced (e.g. after loading weights) between steps.
 */
public final class AdamW implements AutoCloseable {
    /** Suffixes of the saved state tensors, as in torch's optimizer state dict. */
    public static final String STEP = "step";
    public static final String EXP_AVG = "exp_avg";
    public static final String EXP_AVG_SQ = "exp_avg_sq";

    /** Hyper-parameters other than the learning rate (which the schedule passes to each step). */
    public record Config(double beta1, double beta2, double eps, double weightDecay) {
        public Config {
            checkBeta("beta1", beta1);
            checkBeta("beta2", beta2);
            if (!(eps > 0) || Double.isInfinite(eps)) {
                // torch accepts 0, but then a weight whose gradient is exactly 0 computes 0 / (sqrt(0) + 0) = NaN
                throw new ConfigException("AdamW: eps (--adam-epsilon) must be a finite number > 0, got " + eps
                        + "; with 0 a weight whose gradient is 0 becomes NaN at step 2 (torch's default is 1e-8)");
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new ConfigException("AdamW: weight_decay must be >= 0, got " + weightDecay);
            }
        }

        /** torch's AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2. */
        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8, 1e-2);
        }

        private static void checkBeta(String name, double b) {
            if (!(b >= 0 && b < 1)) {
                throw new ConfigException("AdamW: " + name + " must be in [0, 1), got " + b);
            }
        }
    }

    private static final class State {
        long step;
        final NDArray expAvg;
        final NDArray expAvgSq;

        State(long step, NDArray expAvg, NDArray expAvgSq) {
            this.step = step;
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
        }
    }

    private final Config config;
    private final NDManager manager;
    private final Map<String, State> state = new LinkedHashMap<>();

    /** State arrays live in a sub-manager of {@code parent}, freed by {@link #close}. */
    public AdamW(NDManager parent, Config config) {
        this.config = config;
        this.manager = parent.newSubManager();
    }

    /** The hyper-parameters. */
    public Config config() {
        return config;
    }

    /**
     * One step at learning rate {@code lr}: every parameter in {@code params} that has an entry in
     * {@code grads} is updated in place, without recording gradients; the others are skipped (torch skips
     * parameters whose grad is None).
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        for (String name : grads.keySet()) {
            if (!params.containsKey(name)) {
                throw new IllegalArgumentException("gradient for `" + name + "`, which is not among the parameters");
            }
        }
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = grads.get(e.getKey());
                if (g != null) {
                    // in place, parameter by parameter (Ops.adamw frees any temporaries before returning): a
                    // step-wide scope kept every parameter's temporaries (about three copies of the model) alive
                    // until the last update, 2.5 GB of peak for a BK-tiny student
                    update(e.getKey(), e.getValue(), g, lr);
                }
            }
        }
    }

    private void update(String name, NDArray p, NDArray g, double lr) {
        if (!g.getShape().equals(p.getShape())) {
            throw new IllegalArgumentException("gradient of `" + name + "` has shape " + g.getShape()
                    + ", the parameter " + p.getShape());
        }
        State s = state.computeIfAbsent(name, k -> new State(0, zeros(p), zeros(p)));
        if (!s.expAvg.getShape().equals(p.getShape())) {
            throw new TrainStateException("AdamW state for `" + name + "` has shape " + s.expAvg.getShape()
                    + " but the parameter is " + p.getShape() + ": the optimizer state belongs to another model");
        }
        s.step++;
        double stepSize = lr / (1 - Math.pow(config.beta1(), s.step));
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(config.beta2(), s.step));
        Ops.adamw(p, g, s.expAvg, s.expAvgSq, new AdamWStep(lr, config.weightDecay(), config.beta1(), config.beta2(),
                config.eps(), stepSize, biasCorrection2Sqrt));
    }

    private NDArray zeros(NDArray like) {
        return manager.zeros(like.getShape(), like.getDataType(), like.getDevice());
    }

    /** Number of steps taken for {@code name} (0 when it never had a gradient). */
    public long stepCount(String name) {
        State s = state.get(name);
        return s == null ? 0 : s.step;
    }

    /**
     * The state as tensors: {@code <name>.step} (int64 scalar), {@code <name>.exp_avg},
     * {@code <name>.exp_avg_sq}. The moments are live views (save them before the next step); the step
     * scalars are created in {@code scope}.
     */
    public Map<String, NDArray> stateDict(NDManager scope) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, State> e : state.entrySet()) {
            State s = e.getValue();
            NDArray step = scope.create(s.step);
            out.put(e.getKey() + "." + STEP, step);
            out.put(e.getKey() + "." + EXP_AVG, s.expAvg);
            out.put(e.getKey() + "." + EXP_AVG_SQ, s.expAvgSq);
        }
        return out;
    }

    /**
     * Replaces the state with the one saved by {@link #stateDict}. When {@code params} is given, each saved
     * name must be one of them with the same shape; every problem is listed in one exception.
     */
    public void loadStateDict(StateDict saved, Map<String, NDArray> params, String source) {
        Set<String> names = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (String key : saved.keys()) {
            int dot = key.lastIndexOf('.');
            String suffix = dot < 0 ? "" : key.substring(dot + 1);
            if (!suffix.equals(STEP) && !suffix.equals(EXP_AVG) && !suffix.equals(EXP_AVG_SQ)) {
                problems.add("unexpected tensor `" + key + "`");
            } else {
                names.add(key.substring(0, dot));
            }
        }
        for (String name : names) {
            for (String suffix : List.of(STEP, EXP_AVG, EXP_AVG_SQ)) {
                if (!saved.contains(name + "." + suffix)) {
                    problems.add("`" + name + "." + suffix + "` is missing");
                }
            }
            NDArray p = params == null ? null : params.get(name);
            if (params != null && p == null) {
                problems.add("`" + name + "` is not a trainable parameter of this model");
            } else if (p != null && saved.contains(name + "." + EXP_AVG)
                    && !saved.spec(name + "." + EXP_AVG).shape().equals(p.getShape())) {
                problems.add("`" + name + "` has shape " + saved.spec(name + "." + EXP_AVG).shape()
                        + " in the state but " + p.getShape() + " in the model");
            }
        }
        if (!problems.isEmpty()) {
            throw new TrainStateException(source + ": AdamW state does not fit: " + String.join("; ", problems));
        }
        clear();
        for (String name : names) {
            long step;
            try (NDManager scope = manager.newSubManager()) {
                step = saved.load(name + "." + STEP, scope).toType(DataType.INT64, false).getLong();
            }
            state.put(name, new State(step, saved.load(name + "." + EXP_AVG, manager),
                    saved.load(name + "." + EXP_AVG_SQ, manager)));
        }
    }

    private void clear() {
        for (State s : state.values()) {
            s.expAvg.close();
            s.expAvgSq.close();
        }
        state.clear();
    }

    @Override
    public void close() {
        clear();
        manager.close();
    }
}
