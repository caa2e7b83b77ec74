package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The fused libtorch path equals the pure-DJL reference path, forward and backward. */
class TorchScriptOpsTest {
    /** Float32 agreement of two implementations of one formula, scaled by max(1, |reference|). */
    static final double TOL = 1e-5;

    @Test
    void loadsOnCpu() {
        try (NDManager m = OpsTesting.manager()) {
            assertTrue(TorchScriptOps.isAvailable(m.getDevice()), TorchScriptOps.unavailableReason(m.getDevice()));
        }
    }

    static Stream<Arguments> groupNormCases() {
        return Stream.of(
                Arguments.of(new long[] {2, 12, 5, 7}, 3, true, true),
                Arguments.of(new long[] {2, 12, 5, 7}, 4, true, false),
                Arguments.of(new long[] {2, 12, 5, 7}, 6, false, true),
                Arguments.of(new long[] {2, 12, 5, 7}, 2, false, false),
                Arguments.of(new long[] {1, 9, 11}, 3, true, true), // 3D, odd group size
                Arguments.of(new long[] {3, 10, 3, 3}, 5, true, true),
                Arguments.of(new long[] {2, 7, 3, 5}, 7, true, true), // one channel per group
                Arguments.of(new long[] {1, 64, 6, 6}, 32, true, true),
                Arguments.of(new long[] {4, 6}, 2, true, true), // (N, C) only
                Arguments.of(new long[] {1, 6, 2, 3, 4}, 3, true, true)); // 5D
    }

    @ParameterizedTest(name = "{0} groups={1} weight={2} bias={3}")
    @MethodSource("groupNormCases")
    void groupNormEqualsPurePath(long[] shape, int groups, boolean hasW, boolean hasB) {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(Long.hashCode(new Shape(shape).size()) * 31L + groups);
            long c = shape[1];
            NDArray x = OpsTesting.normal(m, rnd, 2.0, shape).add(0.5f);
            NDArray w = OpsTesting.normal(m, rnd, 1.0, c);
            NDArray b = OpsTesting.normal(m, rnd, 1.0, c);
            NDArray r = OpsTesting.normal(m, rnd, 1.0, shape);
            OpsTesting.Pass fast = OpsTesting.pass(in -> TorchScriptOps.groupNorm(in[0], groups,
                    hasW ? in[1] : null, hasB ? in[2] : null, 1e-5f), r, x, w, b);
            OpsTesting.Pass pure = OpsTesting.pass(in -> DjlOps.groupNorm(in[0], groups,
                    hasW ? in[1] : null, hasB ? in[2] : null, 1e-5f), r, x, w, b);
            double ey = OpsTesting.error(fast.y, pure.y);
            double ex = OpsTesting.error(fast.grads[0], pure.grads[0]);
            double ew = OpsTesting.error(fast.grads[1], pure.grads[1]);
            double eb = OpsTesting.error(fast.grads[2], pure.grads[2]);
            System.out.printf("GroupNorm %s g=%d w=%s b=%s: y %.2e dx %.2e dw %.2e db %.2e%n",
                    new Shape(shape), groups, hasW, hasB, ey, ex, ew, eb);
            assertTrue(ey <= TOL, "y error " + ey);
            assertTrue(ex <= TOL, "dx error " + ex);
            assertTrue(ew <= TOL, "dweight error " + ew);
            assertTrue(eb <= TOL, "dbias error " + eb);
        }
    }

    /** q, k, v shapes, mask shape (null: none), causal, explicit scale (NaN: default 1/sqrt(D)). */
    static Stream<Arguments> attentionCases() {
        return Stream.of(
                Arguments.of(new long[] {2, 3, 9, 8}, new long[] {2, 3, 9, 8}, new long[] {2, 3, 9, 8}, null, false, Double.NaN),
                Arguments.of(new long[] {2, 3, 9, 8}, new long[] {2, 3, 13, 8}, new long[] {2, 3, 13, 5}, null, false, Double.NaN),
                Arguments.of(new long[] {1, 2, 7, 4}, new long[] {1, 2, 7, 4}, new long[] {1, 2, 7, 4}, null, true, Double.NaN),
                Arguments.of(new long[] {1, 2, 5, 4}, new long[] {1, 2, 11, 4}, new long[] {1, 2, 11, 4}, null, true, Double.NaN),
                Arguments.of(new long[] {1, 2, 11, 4}, new long[] {1, 2, 5, 4}, new long[] {1, 2, 5, 4}, null, true, Double.NaN),
                Arguments.of(new long[] {2, 3, 9, 8}, new long[] {2, 3, 13, 8}, new long[] {2, 3, 13, 8}, new long[] {2, 1, 1, 13}, false, Double.NaN),
                Arguments.of(new long[] {2, 3, 9, 8}, new long[] {2, 3, 13, 8}, new long[] {2, 3, 13, 8}, new long[] {2, 3, 9, 13}, false, Double.NaN),
                Arguments.of(new long[] {2, 3, 9, 8}, new long[] {2, 3, 9, 8}, new long[] {2, 3, 9, 8}, new long[] {9, 9}, true, Double.NaN),
                Arguments.of(new long[] {3, 10, 16}, new long[] {3, 6, 16}, new long[] {3, 6, 16}, null, false, 0.7),
                Arguments.of(new long[] {1, 8, 77, 40}, new long[] {1, 8, 77, 40}, new long[] {1, 8, 77, 40}, null, true, Double.NaN));
    }

    @ParameterizedTest(name = "q={0} k={1} v={2} mask={3} causal={4} scale={5}")
    @MethodSource("attentionCases")
    void attentionEqualsPurePath(long[] qs, long[] ks, long[] vs, long[] ms, boolean causal, double scale) {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(Long.hashCode(new Shape(qs).size() * 7 + new Shape(ks).size()) + (causal ? 1 : 0));
            NDArray q = OpsTesting.normal(m, rnd, 1.0, qs);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, ks);
            NDArray v = OpsTesting.normal(m, rnd, 1.0, vs);
            NDArray mask = ms == null ? null : OpsTesting.normal(m, rnd, 2.0, ms);
            long[] ys = vs.clone();
            ys[ys.length - 2] = qs[qs.length - 2];
            NDArray r = OpsTesting.normal(m, rnd, 1.0, ys);
            double s = Double.isNaN(scale) ? 1 / Math.sqrt(qs[qs.length - 1]) : scale;
            OpsTesting.Pass fast = OpsTesting.pass(in -> TorchScriptOps.attention(in[0], in[1], in[2], mask, causal, s), r, q, k, v);
            OpsTesting.Pass pure = OpsTesting.pass(in -> DjlOps.attention(in[0], in[1], in[2], mask, causal, s), r, q, k, v);
            double ey = OpsTesting.error(fast.y, pure.y);
            double eq = OpsTesting.error(fast.grads[0], pure.grads[0]);
            double ek = OpsTesting.error(fast.grads[1], pure.grads[1]);
            double ev = OpsTesting.error(fast.grads[2], pure.grads[2]);
            System.out.printf("attention q%s k%s v%s mask %s causal=%s: y %.2e dq %.2e dk %.2e dv %.2e%n",
                    new Shape(qs), new Shape(ks), new Shape(vs), ms == null ? "-" : new Shape(ms), causal, ey, eq, ek, ev);
            assertEquals(new Shape(ys), fast.y.getShape());
            assertTrue(ey <= TOL, "y error " + ey);
            assertTrue(eq <= TOL, "dq error " + eq);
            assertTrue(ek <= TOL, "dk error " + ek);
            assertTrue(ev <= TOL, "dv error " + ev);
        }
    }

    /** TorchScript's profiling executor re-optimises a method after its first runs; gradients must not change. */
    @Test
    void repeatedTrainingCallsKeepGradients() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(6);
            NDArray x = OpsTesting.normal(m, rnd, 1.0, 2, 8, 4, 4);
            NDArray w = OpsTesting.normal(m, rnd, 1.0, 8);
            NDArray b = OpsTesting.normal(m, rnd, 1.0, 8);
            NDArray rx = OpsTesting.normal(m, rnd, 1.0, 2, 8, 4, 4);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 1, 1, 6, 6);
            NDArray rq = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            OpsTesting.Pass gnRef = OpsTesting.pass(in -> DjlOps.groupNorm(in[0], 4, in[1], in[2], 1e-5f), rx, x, w, b);
            OpsTesting.Pass atRef = OpsTesting.pass(in -> DjlOps.attention(in[0], in[1], in[2], mask, true, 0.5), rq, q, q, q);
            double worst = 0;
            for (int step = 0; step < 8; step++) {
                OpsTesting.Pass gn = OpsTesting.pass(in -> TorchScriptOps.groupNorm(in[0], 4, in[1], in[2], 1e-5f), rx, x, w, b);
                OpsTesting.Pass at = OpsTesting.pass(in -> TorchScriptOps.attention(in[0], in[1], in[2], mask, true, 0.5), rq, q, q, q);
                for (int i = 0; i < 3; i++) {
                    worst = Math.max(worst, OpsTesting.error(gn.grads[i], gnRef.grads[i]));
                    worst = Math.max(worst, OpsTesting.error(at.grads[i], atRef.grads[i]));
                }
                // an inference call between training steps must not disturb them
                TorchScriptOps.groupNorm(x, 4, w, b, 1e-5f).close();
            }
            System.out.printf("8 training steps, worst gradient error vs pure: %.2e%n", worst);
            assertTrue(worst <= TOL, "gradient error " + worst);
        }
    }

    /** A learnable additive bias (e.g. relative positions) gets the same gradient on both paths. */
    @Test
    void maskGradientsEqualPurePath() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(7);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 1, 2, 8, 4);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 8);
            NDArray r = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            for (boolean causal : new boolean[] {false, true}) {
                OpsTesting.Pass fast = OpsTesting.pass(in -> TorchScriptOps.attention(q, k, k, in[0], causal, 0.5), r, mask);
                OpsTesting.Pass pure = OpsTesting.pass(in -> DjlOps.attention(q, k, k, in[0], causal, 0.5), r, mask);
                double e = OpsTesting.error(fast.grads[0], pure.grads[0]);
                System.out.printf("mask gradient (causal=%s) vs pure: %.2e%n", causal, e);
                assertTrue(e <= TOL, "mask gradient error " + e);
            }
        }
    }

    @Test
    void booleanMaskMeansAttendWhereTrue() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(5);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 2, 2, 6, 4);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 2, 2, 8, 4);
            NDArray v = OpsTesting.normal(m, rnd, 1.0, 2, 2, 8, 4);
            // keys 0..4 visible in batch 0, keys 0..7 in batch 1 (padding mask)
            float[] add = new float[2 * 8];
            boolean[] keep = new boolean[2 * 8];
            for (int j = 0; j < 8; j++) {
                keep[j] = j < 5;
                keep[8 + j] = true;
                add[j] = keep[j] ? 0f : Float.NEGATIVE_INFINITY;
            }
            NDArray boolMask = m.create(keep, new ai.djl.ndarray.types.Shape(2, 1, 1, 8));
            NDArray addMask = m.create(add, new ai.djl.ndarray.types.Shape(2, 1, 1, 8));
            NDArray fromBool = TorchScriptOps.attention(q, k, v, boolMask, false, 0.5);
            NDArray fromAdd = DjlOps.attention(q, k, v, addMask, false, 0.5);
            NDArray pureBool = DjlOps.attention(q, k, v, boolMask, false, 0.5);
            double e1 = OpsTesting.error(fromBool, fromAdd);
            double e2 = OpsTesting.error(pureBool, fromAdd);
            System.out.printf("boolean mask: fast %.2e pure %.2e%n", e1, e2);
            assertTrue(e1 <= TOL && e2 <= TOL);
        }
    }
}
