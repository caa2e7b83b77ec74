package dev.bkd.core.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.bkd.core.testing.DirectMemoryChurn;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The canary for a DJL upgrade: one check per workaround in {@code dev.bkd.core.djl}, each failing with a message
 * that names the workaround, what stopped working and where to look. Expected values are analytic (a gradient
 * of a sum is a count), not produced by the code under test.
 */
class DjlWorkaroundsCanaryTest {
    private static final String CANARY = "DJL upgrade canary: ";

    @Test
    void moduleInvokerStillReachesTheNativeRunMethod() {
        assertNull(ModuleInvoker.FAILURE, CANARY + "ModuleInvoker's reflection into DJL internals broke: "
                + ModuleInvoker.FAILURE + ". Find the native TorchScript call with an is-train flag in the new DJL"
                + " (PyTorchLibrary) and update ModuleInvoker; until then every run falls back to the ~3x slower"
                + " pure-DJL ops (-Dbkd.ops=djl).");
    }

    @Test
    void javaWrittenTorchScriptLoadsAndGradientsFlowThroughIt() {
        try (PtNDManager m = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager()) {
            PtSymbolBlock module = loadOps(m);
            NDArray x = m.randomNormal(new Shape(2, 4, 3, 3));
            NDArray w = m.ones(new Shape(4));
            NDArray b = m.zeros(new Shape(4));
            b.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = ModuleInvoker.call(module, OpsScript.groupNormMethod(true, true), m, x, 2, w, b, 1e-5);
                gc.backward(y.sum());
            }
            assertEquals(x.getShape(), y.getShape());
            // d sum(y) / d bias_c = number of elements of channel c = N * H * W
            assertArrayEquals(new float[] {18f, 18f, 18f, 18f}, b.getGradient().toFloatArray(), 0f,
                    CANARY + "ModuleInvoker.call no longer records autograd (the is-train flag changed meaning?):"
                            + " training through the fused ops would get wrong gradients");
        }
    }

    @Test
    void theTorchScriptCastKeepsGradientsWhereToTypeCutsThem() {
        try (PtNDManager m = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager()) {
            PtSymbolBlock module = loadOps(m);
            NDArray x = m.create(new float[] {0.5f, -2f, 3f});
            NDArray w = m.create(new float[] {4f, 0.25f, -1f});
            x.setRequiresGradient(true);
            NDArray half;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                half = ModuleInvoker.call(module, OpsScript.CAST, m, x, 5L); // 5 = torch.float16
                NDArray back = ModuleInvoker.call(module, OpsScript.CAST, m, half, 6L); // 6 = torch.float32
                gc.backward(back.mul(w).sum());
            }
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT16, half.getDataType(), CANARY + "OpsScript's cast"
                    + " (x.to(dtype) with dtype a ScalarType code) no longer casts: check ScalarType codes in c10");
            // d/dx sum(float(half(x)) * w) = w (every x is exact in float16)
            assertArrayEquals(new float[] {4f, 0.25f, -1f}, x.getGradient().toFloatArray(), 0f, CANARY
                    + "the differentiable cast (Ops.cast, used by autocast) no longer carries gradients: mixed"
                    + " precision would train nothing upstream of a cast");
        }
    }

    @Test
    void scalarsKeepGradientsRightAcrossAGc() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1f, 2f, 3f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Scalars.div(Scalars.mul(x, 3.0), 4.0).sum();
                DirectMemoryChurn.run();
                gc.backward(y);
            }
            assertArrayEquals(new float[] {0.75f, 0.75f, 0.75f}, x.getGradient().toFloatArray(), 0f,
                    CANARY + "Scalars.mul/div give wrong gradients after a GC: the scalar tensor they make is no"
                            + " longer torch-owned memory (check NDManager.full in the new DJL)");
            assertEquals(0.1, Scalars.scalar(x, 0.1).toFloatArray()[0], 1e-8,
                    CANARY + "Scalars.scalar no longer holds its value exactly (float32 of 0.1)");
        }
    }

    @Test
    void autogradReadsGradientsWithoutLeakingAndHasANoGradScope() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1f, 2f});
            NDArray frozen = m.create(new float[] {5f});
            p.setRequiresGradient(true);
            Map<String, NDArray> params = Map.of("p", p, "frozen", frozen);
            try (NDManager scope = m.newSubManager()) {
                assertTrue(Autograd.grads(params, scope).isEmpty(), CANARY + "Autograd.grads reports a gradient"
                        + " before any backward: JniUtils.getGradient no longer returns null for torch's None");
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(p).sum()); // d/dp sum(p^2) = 2p; p*p needs no scalar
            }
            int managed = ((BaseNDManager) m).getManagedArrays().size();
            try (NDManager scope = m.newSubManager()) {
                Map<String, NDArray> g = Autograd.grads(params, scope);
                assertEquals(java.util.Set.of("p"), g.keySet(), CANARY + "Autograd.grads: frozen parameters must be"
                        + " left out");
                assertArrayEquals(new float[] {2f, 4f}, g.get("p").toFloatArray(), 0f, CANARY + "Autograd.grads");
            }
            assertEquals(managed, ((BaseNDManager) m).getManagedArrays().size(), CANARY + "Autograd.grads left"
                    + " gradient wrappers in the parameter's manager (a leak per parameter per step)");
            Autograd.zeroGrads(params);
            try (NDManager scope = m.newSubManager()) {
                assertArrayEquals(new float[] {0f, 0f}, Autograd.grads(params, scope).get("p").toFloatArray(), 0f,
                        CANARY + "Autograd.zeroGrads (JniUtils.zeroGrad) no longer zeroes the gradient");
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                assertTrue(JniUtils.isGradMode(), "a collector records");
                try (Autograd.NoGrad ng = Autograd.noGrad()) {
                    assertFalse(JniUtils.isGradMode(), CANARY + "Autograd.noGrad no longer turns torch's grad mode off");
                }
                assertTrue(JniUtils.isGradMode(), CANARY + "Autograd.noGrad did not restore grad mode on close");
            }
        }
    }

    /** The Java-written ops module, loaded by libtorch, or a failure that says what to compare after an upgrade. */
    private static PtSymbolBlock loadOps(PtNDManager m) {
        try {
            return JniUtils.loadModule(m, new ByteArrayInputStream(
                    TorchScriptArchive.write("ops", OpsScript.CLASS, OpsScript.source())), true, false);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(CANARY + "libtorch no longer loads the archive TorchScriptArchive/PickleWriter"
                    + " write (compare with what the new torch.jit.save writes: version, data.pkl): " + e, e);
        }
    }
}
