package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * float16 on CPU: both paths compute in half and return half. Compared with float32 on the same
 * (half-representable) inputs; the bound is eight half-precision roundings (8 * 2^-11) of values
 * scaled by max(1, |y|).
 */
class HalfPrecisionTest {
    static final double TOL = 8 * Math.pow(2, -11);

    @Test
    void groupNormInHalf() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(31);
            NDArray x = half(OpsTesting.normal(m, rnd, 1.0, 1, 32, 8, 8));
            NDArray w = half(OpsTesting.normal(m, rnd, 1.0, 32));
            NDArray b = half(OpsTesting.normal(m, rnd, 1.0, 32));
            NDArray ref = TorchScriptOps.groupNorm(single(x), 8, single(w), single(b), 1e-5f);
            NDArray fast = TorchScriptOps.groupNorm(x, 8, w, b, 1e-5f);
            NDArray pure = DjlOps.groupNorm(x, 8, w, b, 1e-5f);
            assertEquals(DataType.FLOAT16, fast.getDataType());
            assertEquals(DataType.FLOAT16, pure.getDataType());
            double ef = OpsTesting.error(fast, ref);
            double ep = OpsTesting.error(pure, ref);
            System.out.printf("GroupNorm float16 vs float32: fast %.2e pure %.2e (bound %.2e)%n", ef, ep, TOL);
            assertTrue(ef <= TOL && ep <= TOL);
        }
    }

    @Test
    void attentionInHalf() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(32);
            NDArray q = half(OpsTesting.normal(m, rnd, 1.0, 1, 4, 64, 40));
            NDArray k = half(OpsTesting.normal(m, rnd, 1.0, 1, 4, 77, 40));
            NDArray v = half(OpsTesting.normal(m, rnd, 1.0, 1, 4, 77, 40));
            NDArray ref = TorchScriptOps.attention(single(q), single(k), single(v), null, false, 0.158);
            NDArray fast = TorchScriptOps.attention(q, k, v, null, false, 0.158);
            NDArray pure = DjlOps.attention(q, k, v, null, false, 0.158);
            assertEquals(DataType.FLOAT16, fast.getDataType());
            double ef = OpsTesting.error(fast, ref);
            double ep = OpsTesting.error(pure, ref);
            System.out.printf("attention float16 vs float32: fast %.2e pure %.2e (bound %.2e)%n", ef, ep, TOL);
            assertTrue(ef <= TOL && ep <= TOL);
        }
    }

    @Test
    void gradientsInHalf() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(33);
            NDArray x = half(OpsTesting.normal(m, rnd, 1.0, 1, 8, 4, 4));
            NDArray w = half(OpsTesting.normal(m, rnd, 1.0, 8));
            NDArray b = half(OpsTesting.normal(m, rnd, 1.0, 8));
            NDArray r = half(OpsTesting.normal(m, rnd, 1.0, 1, 8, 4, 4));
            OpsTesting.Pass fast = OpsTesting.pass(in -> TorchScriptOps.groupNorm(in[0], 4, in[1], in[2], 1e-5f), r, x, w, b);
            OpsTesting.Pass ref = OpsTesting.pass(in -> TorchScriptOps.groupNorm(in[0], 4, in[1], in[2], 1e-5f),
                    single(r), single(x), single(w), single(b));
            NDArray q = half(OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 8));
            NDArray rq = half(OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 8));
            OpsTesting.Pass fa = OpsTesting.pass(in -> TorchScriptOps.attention(in[0], in[1], in[2], null, true, 0.35), rq, q, q, q);
            OpsTesting.Pass ra = OpsTesting.pass(in -> TorchScriptOps.attention(in[0], in[1], in[2], null, true, 0.35),
                    single(rq), single(q), single(q), single(q));
            double e = 0;
            for (int i = 0; i < 3; i++) {
                e = Math.max(e, OpsTesting.error(fast.grads[i], ref.grads[i]));
                e = Math.max(e, OpsTesting.error(fa.grads[i], ra.grads[i]));
            }
            System.out.printf("float16 gradients (GroupNorm, attention) vs float32: %.2e (bound %.2e)%n", e, TOL);
            assertEquals(DataType.FLOAT16, fast.grads[0].getDataType());
            assertTrue(e <= TOL);
        }
    }

    private static NDArray half(NDArray a) {
        return a.toType(DataType.FLOAT16, false);
    }

    private static NDArray single(NDArray a) {
        return a.toType(DataType.FLOAT32, false);
    }
}
