package dev.bkd.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.bkd.core.modules.Attention;
import dev.bkd.core.nn.AutocastPolicy.Op;
import dev.bkd.core.nn.AutocastPolicy.Rule;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The autocast context and the policy table, layer by layer. */
class AutocastTest {

    @Test
    void layersComputeInTheDtypeThePolicyGivesTheirOp() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear lin = init(new Linear(8, 4, true), m);
            Conv2d conv = init(new Conv2d(8, 8, 3, 1, 1), m);
            GroupNorm gn = init(new GroupNorm(2, 8, 1e-5f), m);
            LayerNorm ln = init(new LayerNorm(8, 1e-5f), m);
            Attention attn = init(new Attention(Attention.Spec.transformer(8, 0, 2, 4, false)), m);
            NDArray tokens = m.randomNormal(new Shape(2, 3, 8));
            NDArray map = m.randomNormal(new Shape(2, 8, 4, 4));
            try (Autocast a = Autocast.fp16()) {
                assertEquals(DataType.FLOAT16, lin.forward(tokens).getDataType(), "linear: lower precision");
                assertEquals(DataType.FLOAT16, conv.forward(map).getDataType(), "conv2d: lower precision");
                assertEquals(DataType.FLOAT16, attn.forward(tokens, null).getDataType(), "attention (sdpa + to_out)");
                NDArray half = conv.forward(map);
                assertEquals(DataType.FLOAT32, gn.forward(half).getDataType(), "group_norm: float32, even on half input");
                assertEquals(DataType.FLOAT32, ln.forward(lin.forward(m.randomNormal(new Shape(2, 3, 8))).
                        concat(lin.forward(tokens), -1)).getDataType(), "layer_norm: float32");
                assertEquals(DataType.FLOAT16, Autocast.computeType(Op.MATMUL));
                assertEquals(DataType.FLOAT32, Autocast.computeType(Op.SOFTMAX));
                assertEquals(DataType.FLOAT32, Autocast.computeType(Op.MSE_LOSS));
            }
            // outside the context nothing is cast: the plain float32 layer, bit for bit
            assertEquals(DataType.FLOAT32, lin.forward(tokens).getDataType());
            assertEquals(DataType.FLOAT32, gn.forward(map).getDataType());
            assertEquals(DataType.FLOAT32, attn.forward(tokens, null).getDataType());
            assertTrue(Autocast.current() == Autocast.State.OFF);
        }
    }

    @Test
    void theTableIsTorchsForTheOpsBkdRuns() {
        for (Op op : new Op[] {Op.CONV2D, Op.LINEAR, Op.MATMUL, Op.BMM, Op.BADDBMM, Op.ATTENTION}) {
            assertEquals(Rule.LOWER_PRECISION, AutocastPolicy.TORCH.get(op), op.torchName);
        }
        for (Op op : new Op[] {Op.GROUP_NORM, Op.LAYER_NORM, Op.SOFTMAX, Op.MSE_LOSS}) {
            assertEquals(Rule.FP32, AutocastPolicy.TORCH.get(op), op.torchName);
        }
        assertEquals(Op.values().length, AutocastPolicy.TORCH.size(), "every op bkd names has a rule");
    }

    @Test
    void gradientsReachTheFloat32MasterWeightsInFloat32() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear lin = new Linear(2, 1, false);
            lin.initializeRandom(m, DataType.FLOAT32);
            NDArray w = m.create(new float[] {0.5f, -2f}, new Shape(1, 2));
            lin.setParam("weight", w);
            w.setRequiresGradient(true);
            NDArray x = m.create(new float[] {1.5f, 0.25f, -3f, 4f}, new Shape(2, 2));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y;
                try (Autocast a = Autocast.fp16()) {
                    y = lin.forward(x);
                }
                assertEquals(DataType.FLOAT16, y.getDataType());
                gc.backward(dev.bkd.core.ops.Ops.cast(y, DataType.FLOAT32).sum());
            }
            NDArray g = w.getGradient();
            assertEquals(DataType.FLOAT32, g.getDataType());
            // d/dw sum(x·wᵀ) = column sums of x: (1.5 - 3, 0.25 + 4), exact in float16
            assertArrayEquals(new float[] {-1.5f, 4.25f}, g.toFloatArray(), 0f);
        }
    }

    @Test
    void contextsNestRestoreAndBelongToTheirThread() throws Exception {
        assertFalse(Autocast.isEnabled());
        try (Autocast on = Autocast.fp16()) {
            assertTrue(Autocast.isEnabled());
            Autocast.State captured = Autocast.current();
            try (Autocast off = Autocast.disabled()) {
                assertFalse(Autocast.isEnabled(), "disabled() inside an enabled region (a frozen teacher)");
                try (Autocast again = Autocast.enter(captured)) {
                    assertSame(captured, Autocast.current(), "enter() restores a captured state (checkpoint replay)");
                }
                assertFalse(Autocast.isEnabled());
            }
            assertTrue(Autocast.isEnabled());
            AtomicReference<Boolean> other = new AtomicReference<>();
            Thread t = new Thread(() -> other.set(Autocast.isEnabled()));
            t.start();
            t.join();
            assertFalse(other.get(), "another thread does not see this thread's autocast");

            Autocast inner = Autocast.disabled();
            IllegalStateException e = assertThrows(IllegalStateException.class, on::close,
                    "closing an outer context while an inner one is open");
            assertTrue(e.getMessage().contains("reverse order"), e.getMessage());
            inner.close();
        }
        assertFalse(Autocast.isEnabled());
        assertThrows(IllegalArgumentException.class,
                () -> new Autocast.State(true, DataType.BFLOAT16, AutocastPolicy.TORCH));
    }

    private static <M extends Module> M init(M mod, NDManager m) {
        mod.initializeRandom(m, DataType.FLOAT32);
        return mod;
    }
}
