package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Backend choice, memory hygiene and thread safety of the facade. */
class OpsDispatchTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(Ops.BACKEND_PROPERTY);
    }

    @Test
    void choosesTorchOnPytorchAndHonoursTheProperty() {
        try (NDManager m = OpsTesting.manager()) {
            NDArray x = m.zeros(new Shape(1, 4, 2));
            assertEquals(Ops.Backend.TORCH, Ops.backend(x));
            System.setProperty(Ops.BACKEND_PROPERTY, "djl");
            assertEquals(Ops.Backend.DJL, Ops.backend(x));
            System.setProperty(Ops.BACKEND_PROPERTY, "torch");
            assertEquals(Ops.Backend.TORCH, Ops.backend(x));
            System.setProperty(Ops.BACKEND_PROPERTY, "cuda-magic");
            BkdException e = assertThrows(BkdException.class, () -> Ops.backend(x));
            assertTrue(e.getMessage().contains("cuda-magic") && e.getMessage().contains("auto, djl or torch"), e.getMessage());
        }
    }

    /** The slow path is never silent: one WARN per process naming the reason, the cost and the way out. */
    @Test
    void fallbackWarnsOncePerProcessWithReasonAndCost() {
        String msg = Ops.fallbackMessage("the reflection into DJL failed");
        assertTrue(msg.contains("the reflection into DJL failed") && msg.contains("slower") && msg.contains("-Dbkd.ops=djl"),
                msg);
        Ops.warnFallback("first"); // may be false if an earlier test in this JVM fell back
        assertFalse(Ops.warnFallback("second"), "warned twice in one process");
    }

    @Test
    void facadeGivesTheSameResultOnBothBackends() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(21);
            NDArray x = OpsTesting.normal(m, rnd, 1.0, 2, 8, 3, 3);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 2, 2, 5, 4);
            NDArray fastG = Ops.groupNorm(x, 4, null, null, 1e-6f);
            NDArray fastA = Ops.attention(q, q, q, null, true);
            System.setProperty(Ops.BACKEND_PROPERTY, "djl");
            double eg = OpsTesting.error(fastG, Ops.groupNorm(x, 4, null, null, 1e-6f));
            double ea = OpsTesting.error(fastA, Ops.attention(q, q, q, null, true));
            System.out.printf("facade torch vs djl: GroupNorm %.2e attention %.2e%n", eg, ea);
            assertTrue(eg <= 1e-5 && ea <= 1e-5);
        }
    }

    /** Calls leave only their result in the caller's manager and nothing in the weights' manager. */
    @Test
    void callsDoNotGrowManagers() {
        try (NDManager weights = OpsTesting.manager(); NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(22);
            NDArray w = OpsTesting.normal(weights, rnd, 1.0, 8);
            NDArray b = OpsTesting.normal(weights, rnd, 1.0, 8);
            NDArray x = OpsTesting.normal(m, rnd, 1.0, 2, 8, 3, 3);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 2, 2, 9, 4);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 2, 1, 9, 9);
            NDArray boolMask = m.ones(new Shape(2, 1, 1, 9)).gt(0);
            int before = m.getManagedArrays().size();
            int weightsBefore = weights.getManagedArrays().size();
            NDList results = new NDList(
                    TorchScriptOps.groupNorm(x, 4, w, b, 1e-5f),
                    TorchScriptOps.groupNorm(x, 4, null, b, 1e-5f),
                    DjlOps.groupNorm(x, 4, w, b, 1e-5f),
                    TorchScriptOps.attention(q, q, q, mask, true, 0.5),
                    TorchScriptOps.attention(q, q, q, boolMask, false, 0.5),
                    DjlOps.attention(q, q, q, mask, true, 0.5),
                    DjlOps.attention(q, q, q, boolMask, true, 0.5, 20)); // chunked
            assertEquals(before + results.size(), m.getManagedArrays().size(), "arrays left in the caller's manager");
            assertEquals(weightsBefore, weights.getManagedArrays().size(), "arrays left in the weights' manager");
        }
    }

    @Test
    void concurrentFirstUseIsSafe() throws Exception {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(23);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, 16, 8);
            NDArray expected = DjlOps.attention(q, q, q, null, false, 0.3);
            double[] worst = new double[4];
            Thread[] threads = new Thread[4];
            for (int t = 0; t < threads.length; t++) {
                int id = t;
                threads[t] = new Thread(() -> {
                    for (int i = 0; i < 20; i++) {
                        try (NDArray y = Ops.attention(q, q, q, null, false, 0.3)) {
                            worst[id] = Math.max(worst[id], OpsTesting.error(y, expected));
                        }
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            for (double e : worst) {
                assertTrue(e <= 1e-5, "thread error " + e);
            }
        }
    }
}
