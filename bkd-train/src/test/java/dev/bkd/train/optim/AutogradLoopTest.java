package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.bkd.core.djl.Autograd;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kit with real DJL autograd: gradients alias .grad, zeroing works, a long loop does not grow memory. */
class AutogradLoopTest {
    @Test
    void gradientsAreLiveAliasesAndZeroGradsResetsThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, 2f, 3f});
            w.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("w", w);
            NDArray x = m.create(new float[] {0.5f, -1f, 4f});
            try (NDManager step = m.newSubManager()) {
                assertTrue(Autograd.grads(params, step).isEmpty(), "no backward yet: torch's grad is None");
            }
            backward(w, x, m);
            backward(w, x, m); // DJL accumulates like torch
            try (NDManager step = m.newSubManager()) {
                NDArray g = Autograd.grads(params, step).get("w");
                assertArrayEquals(new float[] {1f, -2f, 8f}, g.toFloatArray()); // d/dw sum(w*x) twice
                GradClip.clipGlobalNorm(java.util.List.of(g), 1.0); // in place on .grad
            }
            try (NDManager step = m.newSubManager()) {
                double n = GradClip.globalNorm(Autograd.grads(params, step).values());
                assertEquals(1.0, n, 1e-5);
            }
            Autograd.zeroGrads(params);
            try (NDManager step = m.newSubManager()) {
                assertArrayEquals(new float[] {0f, 0f, 0f}, Autograd.grads(params, step).get("w").toFloatArray());
            }
        }
    }

    private static void backward(NDArray w, NDArray x, NDManager m) {
        try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = w.mul(x).sum();
            loss.attach(step);
            gc.backward(loss);
        }
    }

    @Test
    void aThousandStepLoopKeepsTheArrayCountFlat() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.randomNormal(new ai.djl.ndarray.types.Shape(16, 8));
            w.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("w", w);
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(4, 16));
            try (AdamW opt = new AdamW(m, AdamW.Config.defaults());
                 Ema ema = new Ema(params, m, Ema.Config.defaults())) {
                int before = -1;
                for (int i = 0; i < 1000; i++) {
                    try (NDManager step = m.newSubManager()) {
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray h = x.matMul(w); // lands in x's manager: move it to the step
                            h.attach(step);
                            NDArray loss = h.square().mean();
                            gc.backward(loss);
                        }
                        Map<String, NDArray> grads = Autograd.grads(params, step);
                        GradClip.clipGlobalNorm(grads.values(), 1.0);
                        opt.step(params, grads, 1e-3);
                        Autograd.zeroGrads(params);
                        ema.step(params);
                    }
                    if (i == 1) {
                        before = m.getManagedArrays().size();
                    }
                }
                assertEquals(before, m.getManagedArrays().size(), "arrays leaked across steps");
                assertTrue(w.hasGradient(), "the parameter stays trainable");
            }
        }
    }
}
