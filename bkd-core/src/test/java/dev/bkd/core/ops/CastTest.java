package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * Why {@link Ops#cast} exists and that it works: DJL's {@code toType} cuts the autograd graph, the TorchScript cast
 * does not. Expected gradients are analytic: d/dx sum(float(half(x)) * w) = w wherever half(x) is exact.
 */
class CastTest {
    private static final float[] X = {0.5f, -1.25f, 3f, 0.125f};
    private static final float[] W = {2f, -3f, 0.25f, 7f};

    @Test
    void djlToTypeCutsTheGraph() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X);
            NDArray w = m.create(W);
            x.setRequiresGradient(true);
            w.setRequiresGradient(true); // so the backward itself has a graph to run
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = x.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).mul(w).sum();
                gc.backward(y);
            }
            NDArray g = JniUtils.getGradient((PtNDArray) x);
            assertNull(g, "DJL's toType now carries gradients (got " + (g == null ? null : g) + "):"
                    + " Ops.cast could become a plain toType");
            assertArrayEquals(X, w.getGradient().toFloatArray(), 0f, "the w side of the product is differentiated");
        }
    }

    @Test
    void opsCastKeepsTheGraphAndReturnsTheSourceDtypeGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X);
            NDArray w = m.create(W);
            x.setRequiresGradient(true);
            NDArray half;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                half = Ops.cast(x, DataType.FLOAT16);
                gc.backward(Ops.cast(half, DataType.FLOAT32).mul(w).sum());
            }
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(X, half.toType(DataType.FLOAT32, false).toFloatArray(), 0f, "exact in float16");
            NDArray g = x.getGradient();
            assertEquals(DataType.FLOAT32, g.getDataType(), "the gradient comes back in the source dtype");
            assertArrayEquals(W, g.toFloatArray(), 0f);
        }
    }

    @Test
    void castToTheSameTypeIsTheArrayItselfAndBadTypesFail() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X);
            assertSame(x, Ops.cast(x, DataType.FLOAT32));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Ops.cast(x, DataType.BFLOAT16));
            assertEquals(true, e.getMessage().contains("bfloat16"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Ops.cast(m.create(new int[] {1}), DataType.FLOAT16));
        }
    }

    @Test
    void pureDjlBackendReportsThatItsCastLosesGradients() {
        String prev = System.getProperty(Ops.BACKEND_PROPERTY);
        System.setProperty(Ops.BACKEND_PROPERTY, "djl");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X);
            String why = Ops.castKeepsGradients(x);
            assertEquals(true, why != null && why.contains("cuts the autograd graph"), why);
            assertEquals(DataType.FLOAT16, Ops.cast(x, DataType.FLOAT16).getDataType(), "still casts (inference)");
        } finally {
            if (prev == null) {
                System.clearProperty(Ops.BACKEND_PROPERTY);
            } else {
                System.setProperty(Ops.BACKEND_PROPERTY, prev);
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            assertNull(Ops.castKeepsGradients(m.create(X)), "auto on the PyTorch engine uses the TorchScript cast");
        }
    }
}
