package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.TrainStateException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmaTest {
    @Test
    void defaultDecayIsOnePlusStepOverTenPlusStepCappedAtDecay() {
        Ema.Config c = Ema.Config.defaults();
        try (NDManager m = NDManager.newBaseManager(); Ema ema = new Ema(Map.of(), m, c)) {
            assertEquals(0.0, ema.decayAt(1), 0);               // step - 1 = 0: plain copy
            assertEquals(2.0 / 11.0, ema.decayAt(2), 1e-15);
            assertEquals(10.0 / 19.0, ema.decayAt(10), 1e-15);
            assertEquals(100.0 / 109.0, ema.decayAt(100), 1e-15);
            assertEquals(0.9999, ema.decayAt(10_000_000), 0);  // (1+s)/(10+s) > 0.9999 from s = 89_991
        }
    }

    @Test
    void warmupUpdateAfterAndMinDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ema warm = new Ema(Map.of(), m, new Ema.Config(0.999, 0.0, 0, true, 1.0, 0.75));
            assertEquals(1 - Math.pow(1 + 4.0, -0.75), warm.decayAt(5), 1e-15);
            assertEquals(0.999, warm.decayAt(1_000_000), 0);
            Ema gamma = new Ema(Map.of(), m, new Ema.Config(0.9999, 0.0, 0, true, 2.0, 2.0 / 3));
            assertEquals(1 - Math.pow(1 + 9 / 2.0, -2.0 / 3), gamma.decayAt(10), 1e-15);
            Ema after = new Ema(Map.of(), m, new Ema.Config(0.9999, 0.0, 5, false, 1, 1));
            assertEquals(0.0, after.decayAt(6), 0);
            assertEquals(2.0 / 11.0, after.decayAt(7), 1e-15);
            Ema floor = new Ema(Map.of(), m, new Ema.Config(0.9999, 0.5, 0, false, 1, 1));
            assertEquals(0.0, floor.decayAt(1), 0, "diffusers returns 0 before min_decay applies");
            assertEquals(0.5, floor.decayAt(2), 0);
            assertEquals(10.0 / 19.0, floor.decayAt(10), 1e-15);
        }
    }

    @Test
    void shadowFollowsTheHandComputedAverageAndFrozenParamsAreCopied() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            w.setRequiresGradient(true);
            NDArray frozen = m.create(new float[] {7f});
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w", w);
            params.put("frozen", frozen);
            try (Ema ema = new Ema(params, m, Ema.Config.defaults())) {
                double[] s = {1, -2};
                for (int step = 1; step <= 6; step++) {
                    float[] p = {(float) (1 + 0.5 * step), (float) (-2 + step * step * 0.1)};
                    try (Autograd.NoGrad ng = Autograd.noGrad()) {
                        w.set(p);
                        frozen.set(new float[] {7f + step});
                    }
                    ema.step(params);
                    double d = step <= 1 ? 0 : (1.0 + (step - 1)) / (10.0 + (step - 1));
                    assertEquals(d, ema.currentDecay(), 1e-15);
                    for (int i = 0; i < 2; i++) {
                        s[i] -= (1 - d) * (s[i] - p[i]);
                    }
                    float[] got = ema.shadow().get("w").toFloatArray();
                    assertEquals(s[0], got[0], 1e-5);
                    assertEquals(s[1], got[1], 1e-5);
                    assertEquals(7f + step, ema.shadow().get("frozen").getFloat(0));
                }
                assertEquals(6, ema.optimizationStep());
                assertThrows(TrainStateException.class, () -> ema.step(Map.of("w", w)));
            }
        }
    }

    static final class Tiny extends Module {
        Tiny() {
            child("proj", new Linear(3, 2, true));
        }
    }

    @Test
    void copyToWritesTheAverageIntoTheModelAndLoadRestoresState() {
        try (NDManager m = NDManager.newBaseManager()) {
            Tiny model = new Tiny();
            model.initializeRandom(m, DataType.FLOAT32);
            Map<String, NDArray> params = Weights.stateDict(model);
            try (Ema ema = new Ema(params, m, Ema.Config.defaults())) {
                float[] start = params.get("proj.weight").toFloatArray();
                try (Autograd.NoGrad ng = Autograd.noGrad()) {
                    params.get("proj.weight").addi(1f);
                }
                ema.copyTo(model);
                assertArrayEquals(start, Weights.stateDict(model).get("proj.weight").toFloatArray(), 0f);

                Map<String, NDArray> saved = new LinkedHashMap<>();
                saved.put("proj.weight", m.ones(new ai.djl.ndarray.types.Shape(2, 3)));
                saved.put("proj.bias", m.zeros(new ai.djl.ndarray.types.Shape(2)));
                ema.load(StateDict.of(saved), 42, "ema.safetensors");
                assertEquals(42, ema.optimizationStep());
                assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, ema.shadow().get("proj.weight").toFloatArray());
                saved.remove("proj.bias");
                saved.put("extra", m.zeros(new ai.djl.ndarray.types.Shape(1)));
                TrainStateException e = assertThrows(TrainStateException.class,
                        () -> ema.load(StateDict.of(saved), 1, "ema.safetensors"));
                assertTrue(e.getMessage().contains("`proj.bias` is missing"), e.getMessage());
                assertTrue(e.getMessage().contains("unexpected `extra`"), e.getMessage());
            }
        }
    }
}
