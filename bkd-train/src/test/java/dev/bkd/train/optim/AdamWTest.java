package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.train.TrainStateException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWTest {
    static final double[] P0 = {0.5, -1.25, 2.0, 0.0, 3.0e-3, -0.75};

    /** Deterministic, sign-changing gradients of varied magnitude for step t (1-based). */
    static double[] grad(int t) {
        double[] g = new double[P0.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = Math.sin(1.7 * t + 0.9 * i) * Math.pow(10, (i % 3) - 1) + 0.01 * i;
        }
        return g;
    }

    static double lrAt(int t) {
        return 1e-2 / t;
    }

    /**
     * The published algorithm (Loshchilov & Hutter; torch.optim.AdamW docs) in double precision:
     * theta -= lr*wd*theta; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * theta -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
     */
    static double[] reference(AdamW.Config c, int steps) {
        double[] p = P0.clone();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= steps; t++) {
            double[] g = grad(t);
            double lr = lrAt(t);
            for (int i = 0; i < p.length; i++) {
                p[i] -= lr * c.weightDecay() * p[i];
                m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g[i];
                v[i] = c.beta2() * v[i] + (1 - c.beta2()) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(c.beta1(), t));
                double vHat = v[i] / (1 - Math.pow(c.beta2(), t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + c.eps());
            }
        }
        return p;
    }

    static float[] f(double[] d) {
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    static void run(AdamW opt, Map<String, NDArray> params, NDManager m, int from, int to) {
        for (int t = from; t <= to; t++) {
            try (NDManager step = m.newSubManager()) {
                NDArray g = step.create(f(grad(t)));
                opt.step(params, Map.of("w", g), lrAt(t));
            }
        }
    }

    static void assertClose(double[] want, float[] got, double tol) {
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(want[i] - got[i]);
            assertTrue(err <= tol * Math.max(1, Math.abs(want[i])), "element " + i + ": want " + want[i]
                    + ", got " + got[i]);
        }
    }

    @Test
    void sevenStepsMatchThePublishedAlgorithm() {
        for (AdamW.Config c : new AdamW.Config[] {AdamW.Config.defaults(),
                new AdamW.Config(0.3, 0.95, 1e-3, 0.1)}) { // beta1 < 0.5 takes torch.lerp's other branch
            try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, c)) {
                Map<String, NDArray> params = Map.of("w", m.create(f(P0)));
                run(opt, params, m, 1, 7);
                assertClose(reference(c, 7), params.get("w").toFloatArray(), 2e-6);
                assertEquals(7, opt.stepCount("w"));
            }
        }
    }

    @Test
    void firstStepMovesEachWeightByLrTimesSignOfGradient() {
        // bias correction makes step 1 exactly -lr*sign(g) (up to eps) after decay: a formula independent check
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, AdamW.Config.defaults())) {
            Map<String, NDArray> params = Map.of("w", m.create(f(P0)));
            run(opt, params, m, 1, 1);
            double[] g = grad(1);
            double[] want = new double[P0.length];
            for (int i = 0; i < P0.length; i++) {
                want[i] = P0[i] * (1 - 1e-2 * 1e-2) - 1e-2 * Math.signum(g[i]);
            }
            assertClose(want, params.get("w").toFloatArray(), 1e-5);
        }
    }

    @Test
    void stateRoundTripsThroughSafetensorsAndResumesIdentically(@TempDir Path dir) {
        AdamW.Config c = AdamW.Config.defaults();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = Map.of("w", m.create(f(P0)));
            Path file = dir.resolve("optimizer.safetensors");
            try (AdamW first = new AdamW(m, c); NDManager scope = m.newSubManager()) {
                run(first, params, m, 1, 3);
                Map<String, NDArray> state = first.stateDict(scope);
                assertEquals(java.util.Set.of("w.step", "w.exp_avg", "w.exp_avg_sq"), state.keySet());
                SafetensorsWriter.write(file, state);
            }
            try (AdamW second = new AdamW(m, c); StateDict saved = StateDicts.open(file)) {
                second.loadStateDict(saved, params, file.toString());
                assertEquals(3, second.stepCount("w"));
                run(second, params, m, 4, 6);
            }
            assertClose(reference(c, 6), params.get("w").toFloatArray(), 2e-6);
        }
    }

    @Test
    void stateOfAnotherModelIsRefusedNamingTheProblems() {
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, AdamW.Config.defaults())) {
            Map<String, NDArray> saved = new LinkedHashMap<>();
            saved.put("w.step", m.create(3L));
            saved.put("w.exp_avg", m.zeros(new ai.djl.ndarray.types.Shape(2)));
            saved.put("w.exp_avg_sq", m.zeros(new ai.djl.ndarray.types.Shape(2)));
            saved.put("gone.exp_avg", m.zeros(new ai.djl.ndarray.types.Shape(2)));
            Map<String, NDArray> params = Map.of("w", m.create(f(P0)));
            TrainStateException e = assertThrows(TrainStateException.class,
                    () -> opt.loadStateDict(StateDict.of(saved), params, "ckpt/optimizer.safetensors"));
            String msg = e.getMessage();
            assertTrue(msg.contains("ckpt/optimizer.safetensors"), msg);
            assertTrue(msg.contains("`w` has shape (2) in the state but (6) in the model"), msg);
            assertTrue(msg.contains("`gone.step` is missing"), msg);
            assertTrue(msg.contains("`gone` is not a trainable parameter"), msg);
        }
    }

    @Test
    void parametersWithoutGradientAreLeftAlone() {
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, AdamW.Config.defaults())) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w", m.create(f(P0)));
            params.put("frozen", m.create(new float[] {1f, 2f}));
            run(opt, params, m, 1, 2);
            assertArrayEquals(new float[] {1f, 2f}, params.get("frozen").toFloatArray());
            assertEquals(0, opt.stepCount("frozen"));
            assertThrows(IllegalArgumentException.class,
                    () -> opt.step(params, Map.of("nope", m.create(1f)), 1e-3));
        }
    }

    @Test
    void badHyperParametersAreConfigErrors() {
        assertThrows(ConfigException.class, () -> new AdamW.Config(1.0, 0.999, 1e-8, 0));
        assertThrows(ConfigException.class, () -> new AdamW.Config(0.9, -0.1, 1e-8, 0));
        assertThrows(ConfigException.class, () -> new AdamW.Config(0.9, 0.999, Double.NaN, 0));
        assertThrows(ConfigException.class, () -> new AdamW.Config(0.9, 0.999, 1e-8, -1));
    }
}
