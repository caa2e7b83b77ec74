package dev.bkd.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.TrainStateException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Exponential moving average of weights, like diffusers' EMAModel: {@code shadow -= (1 - decay) * (shadow -
 * param)} for trainable parameters, a plain copy for frozen ones. The shadow uses the model's own names, so
 * it saves as a weight file that loads into the model.
 */
public final class Ema implements AutoCloseable {
    /** EMAModel's constructor arguments. */
    public record Config(double decay, double minDecay, long updateAfterStep, boolean useEmaWarmup,
                         double invGamma, double power) {
        public Config {
            if (!(decay >= 0 && decay <= 1)) {
                throw new ConfigException("EMA decay must be in [0, 1], got " + decay);
            }
            if (!(minDecay >= 0 && minDecay <= decay)) {
                throw new ConfigException("EMA min_decay must be in [0, decay], got " + minDecay);
            }
            if (updateAfterStep < 0) {
                throw new ConfigException("EMA update_after_step must be >= 0, got " + updateAfterStep);
            }
            if (!(invGamma > 0) || !(power > 0)) {
                throw new ConfigException("EMA inv_gamma and power must be > 0, got " + invGamma + " and " + power);
            }
        }

        /** EMAModel defaults: decay 0.9999, min_decay 0, update_after_step 0, no warmup (inv_gamma 1, power 2/3). */
        public static Config defaults() {
            return new Config(0.9999, 0.0, 0, false, 1.0, 2.0 / 3.0);
        }

        /** The same settings with another maximum decay. */
        public Config withDecay(double d) {
            return new Config(d, minDecay, updateAfterStep, useEmaWarmup, invGamma, power);
        }
    }

    private final Config config;
    private final NDManager manager;
    private final Map<String, NDArray> shadow = new LinkedHashMap<>();
    private long optimizationStep;
    private double currentDecay = Double.NaN;

    /** Starts the average at a copy of {@code params}; the copies live in a sub-manager of {@code parent}. */
    public Ema(Map<String, NDArray> params, NDManager parent, Config config) {
        this.config = config;
        this.manager = parent.newSubManager();
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray copy = e.getValue().duplicate();
                copy.attach(manager);
                shadow.put(e.getKey(), copy);
            }
        }
    }

    /** EMAModel.get_decay: the decay used at optimization step {@code step} (1-based, after increment). */
    public double decayAt(long step) {
        long s = Math.max(0, step - config.updateAfterStep() - 1);
        if (s <= 0) {
            return 0.0;
        }
        double d = config.useEmaWarmup()
                ? 1 - Math.pow(1 + s / config.invGamma(), -config.power())
                : (1.0 + s) / (10.0 + s);
        return Math.max(Math.min(d, config.decay()), config.minDecay());
    }

    /** EMAModel.step: advances the step counter and folds {@code params} (same names as the shadow) in. */
    public void step(Map<String, NDArray> params) {
        checkNames(params.keySet());
        optimizationStep++;
        currentDecay = decayAt(optimizationStep);
        double oneMinusDecay = 1 - currentDecay;
        try (Autograd.NoGrad ng = Autograd.noGrad(); NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
                NDArray s = e.getValue();
                NDArray p = params.get(e.getKey());
                if (p.hasGradient()) {
                    NDArray delta = s.sub(p);
                    delta.attach(scope);
                    s.subi(delta.muli(oneMinusDecay));
                } else {
                    p.copyTo(s);
                }
            }
        }
    }

    private void checkNames(Set<String> names) {
        if (names.equals(shadow.keySet())) {
            return;
        }
        List<String> missing = new ArrayList<>(shadow.keySet());
        missing.removeAll(names);
        List<String> extra = new ArrayList<>(names);
        extra.removeAll(shadow.keySet());
        throw new TrainStateException("EMA tracks other parameters than given: missing " + missing
                + ", not tracked " + extra);
    }

    /** Writes the averaged weights into {@code module}'s parameters in place (EMAModel.copy_to). */
    public void copyTo(Module module) {
        Map<String, Weights.Slot> slots = Weights.slots(module);
        checkNames(slots.keySet());
        try (Autograd.NoGrad ng = Autograd.noGrad()) {
            for (Map.Entry<String, Weights.Slot> e : slots.entrySet()) {
                Parameter p = e.getValue().owner().ownParameters().get(e.getValue().local());
                if (p == null || !p.isInitialized()) {
                    throw new IllegalStateException("parameter " + e.getKey() + " has no value to overwrite");
                }
                shadow.get(e.getKey()).copyTo(p.getArray());
            }
        }
    }

    /** Restores a shadow saved from {@link #shadow} and the step counter saved with it. */
    public void load(StateDict saved, long optimizationStep, String source) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
            if (!saved.contains(e.getKey())) {
                problems.add("`" + e.getKey() + "` is missing");
            } else if (!saved.spec(e.getKey()).shape().equals(e.getValue().getShape())) {
                problems.add("`" + e.getKey() + "` has shape " + saved.spec(e.getKey()).shape() + ", the model "
                        + e.getValue().getShape());
            }
        }
        for (String k : saved.keys()) {
            if (!shadow.containsKey(k)) {
                problems.add("unexpected `" + k + "`");
            }
        }
        if (!problems.isEmpty()) {
            throw new TrainStateException(source + ": EMA weights do not fit the model: " + String.join("; ", problems));
        }
        for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
            try (NDManager scope = manager.newSubManager()) {
                saved.load(e.getKey(), scope).toType(e.getValue().getDataType(), false).copyTo(e.getValue());
            }
        }
        this.optimizationStep = optimizationStep;
    }

    /** The averaged weights by parameter name (live arrays). */
    public Map<String, NDArray> shadow() {
        return Collections.unmodifiableMap(shadow);
    }

    /** Number of {@link #step} calls so far (EMAModel.optimization_step). */
    public long optimizationStep() {
        return optimizationStep;
    }

    /** The decay used by the last step (NaN before the first). */
    public double currentDecay() {
        return currentDecay;
    }

    /** The settings. */
    public Config config() {
        return config;
    }

    @Override
    public void close() {
        manager.close();
    }
}
