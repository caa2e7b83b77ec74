package dev.bkd.core.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The pure-DJL reference path (and the fused path) against {@link JavaReference}: forward in doubles,
 * and gradients against central finite differences of the double computation.
 */
class DjlOpsTest {
    /** Float32 computation vs exact double formula on values of order one. */
    static final double TOL = 1e-5;

    @Test
    void groupNormMatchesDoubleReference() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(11);
            int n = 2, c = 6, l = 10, groups = 3;
            NDArray x = OpsTesting.normal(m, rnd, 3.0, n, c, 2, 5).add(1f);
            NDArray w = OpsTesting.normal(m, rnd, 1.0, c);
            NDArray b = OpsTesting.normal(m, rnd, 1.0, c);
            double[] expected = JavaReference.groupNorm(OpsTesting.doubles(x), n, c, l, groups,
                    OpsTesting.doubles(w), OpsTesting.doubles(b), 1e-5);
            double pure = JavaReference.scaledError(OpsTesting.doubles(DjlOps.groupNorm(x, groups, w, b, 1e-5f)), expected);
            double fast = JavaReference.scaledError(OpsTesting.doubles(TorchScriptOps.groupNorm(x, groups, w, b, 1e-5f)), expected);
            double plain = JavaReference.scaledError(OpsTesting.doubles(DjlOps.groupNorm(x, groups, null, null, 1e-5f)),
                    JavaReference.groupNorm(OpsTesting.doubles(x), n, c, l, groups, null, null, 1e-5));
            System.out.printf("GroupNorm vs double: pure %.2e fast %.2e pure-no-affine %.2e%n", pure, fast, plain);
            assertTrue(pure <= TOL && fast <= TOL && plain <= TOL);
        }
    }

    @Test
    void attentionMatchesDoubleReference() {
        int bh = 6, tq = 5, tk = 7, d = 4, dv = 3;
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(12);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 2, 3, tq, d);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 2, 3, tk, d);
            NDArray v = OpsTesting.normal(m, rnd, 1.0, 2, 3, tk, dv);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 2, 3, tq, tk);
            for (boolean causal : new boolean[] {false, true}) {
                for (NDArray mk : new NDArray[] {null, mask}) {
                    double[] expected = JavaReference.attention(OpsTesting.doubles(q), OpsTesting.doubles(k),
                            OpsTesting.doubles(v), bh, tq, tk, d, dv, OpsTesting.doubles(mk), causal, 0.45);
                    double pure = JavaReference.scaledError(
                            OpsTesting.doubles(DjlOps.attention(q, k, v, mk, causal, 0.45)), expected);
                    double chunked = JavaReference.scaledError(
                            OpsTesting.doubles(DjlOps.attention(q, k, v, mk, causal, 0.45, 2L * 3 * 2 * tk)), expected);
                    double fast = JavaReference.scaledError(
                            OpsTesting.doubles(TorchScriptOps.attention(q, k, v, mk, causal, 0.45)), expected);
                    System.out.printf("attention vs double (causal=%s mask=%s): pure %.2e chunked %.2e fast %.2e%n",
                            causal, mk != null, pure, chunked, fast);
                    assertTrue(pure <= TOL && chunked <= TOL && fast <= TOL);
                }
            }
        }
    }

    /** In float64 both paths must reproduce the double formulas almost exactly. */
    @Test
    void float64MatchesDoubleReferenceTightly() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(16);
            NDArray x = OpsTesting.normal(m, rnd, 2.0, 2, 6, 3, 3).toType(DataType.FLOAT64, false);
            NDArray w = OpsTesting.normal(m, rnd, 1.0, 6).toType(DataType.FLOAT64, false);
            NDArray b = OpsTesting.normal(m, rnd, 1.0, 6).toType(DataType.FLOAT64, false);
            double[] gExpected = JavaReference.groupNorm(OpsTesting.doubles(x), 2, 6, 9, 3,
                    OpsTesting.doubles(w), OpsTesting.doubles(b), 1e-5);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, 5, 4).toType(DataType.FLOAT64, false);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4).toType(DataType.FLOAT64, false);
            double[] aExpected = JavaReference.attention(OpsTesting.doubles(q), OpsTesting.doubles(k),
                    OpsTesting.doubles(k), 2, 5, 6, 4, 4, null, true, 0.5);
            double e = 0;
            e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(DjlOps.groupNorm(x, 3, w, b, 1e-5f)), gExpected));
            e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(TorchScriptOps.groupNorm(x, 3, w, b, 1e-5f)), gExpected));
            e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(DjlOps.attention(q, k, k, null, true, 0.5)), aExpected));
            e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(TorchScriptOps.attention(q, k, k, null, true, 0.5)), aExpected));
            System.out.printf("float64 paths vs double reference: worst %.2e%n", e);
            // eps enters as float 1e-5f (1e-5 + 2.5e-14): far below this bound
            assertTrue(e <= 1e-10, "float64 error " + e);
        }
    }

    @Test
    void chunkedAttentionEqualsUnchunkedWithGradients() {
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(13);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, 10, 4);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            NDArray v = OpsTesting.normal(m, rnd, 1.0, 1, 2, 6, 4);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 1, 1, 10, 6);
            NDArray r = OpsTesting.normal(m, rnd, 1.0, 1, 2, 10, 4);
            // 3 query rows per chunk (2 heads x 6 keys each): chunks 3+3+3+1
            OpsTesting.Pass chunked = OpsTesting.pass(in -> DjlOps.attention(in[0], in[1], in[2], mask, true, 0.5, 36), r, q, k, v);
            OpsTesting.Pass whole = OpsTesting.pass(in -> DjlOps.attention(in[0], in[1], in[2], mask, true, 0.5, Long.MAX_VALUE), r, q, k, v);
            double e = Math.max(OpsTesting.error(chunked.y, whole.y), Math.max(OpsTesting.error(chunked.grads[0], whole.grads[0]),
                    Math.max(OpsTesting.error(chunked.grads[1], whole.grads[1]), OpsTesting.error(chunked.grads[2], whole.grads[2]))));
            System.out.printf("chunked vs whole attention, worst of y/dq/dk/dv: %.2e%n", e);
            assertTrue(e <= TOL);
        }
    }

    @Test
    void groupNormGradientsMatchFiniteDifferences() {
        int n = 2, c = 4, l = 3, groups = 2;
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(14);
            NDArray x = OpsTesting.normal(m, rnd, 1.5, n, c, l);
            NDArray w = OpsTesting.normal(m, rnd, 1.0, c);
            NDArray b = OpsTesting.normal(m, rnd, 1.0, c);
            NDArray r = OpsTesting.normal(m, rnd, 1.0, n, c, l);
            double[] rr = OpsTesting.doubles(r);
            double[][] at = {OpsTesting.doubles(x), OpsTesting.doubles(w), OpsTesting.doubles(b)};
            Function<double[][], Double> loss = p -> dot(JavaReference.groupNorm(p[0], n, c, l, groups, p[1], p[2], 1e-5), rr);
            for (String path : new String[] {"pure", "fast"}) {
                OpsTesting.Pass pass = OpsTesting.pass(in -> path.equals("pure")
                        ? DjlOps.groupNorm(in[0], groups, in[1], in[2], 1e-5f)
                        : TorchScriptOps.groupNorm(in[0], groups, in[1], in[2], 1e-5f), r, x, w, b);
                double e = 0;
                for (int i = 0; i < 3; i++) {
                    e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(pass.grads[i]), numericGrad(loss, at, i)));
                }
                System.out.printf("GroupNorm %s gradients vs finite differences: %.2e%n", path, e);
                assertTrue(e <= TOL, path + " gradient error " + e);
            }
        }
    }

    @Test
    void attentionGradientsMatchFiniteDifferences() {
        int tq = 4, tk = 5, d = 3;
        try (NDManager m = OpsTesting.manager()) {
            Random rnd = new Random(15);
            NDArray q = OpsTesting.normal(m, rnd, 1.0, 1, 2, tq, d);
            NDArray k = OpsTesting.normal(m, rnd, 1.0, 1, 2, tk, d);
            NDArray v = OpsTesting.normal(m, rnd, 1.0, 1, 2, tk, d);
            NDArray mask = OpsTesting.normal(m, rnd, 1.0, 1, 2, tq, tk);
            NDArray r = OpsTesting.normal(m, rnd, 1.0, 1, 2, tq, d);
            double[] rr = OpsTesting.doubles(r);
            double[] mm = OpsTesting.doubles(mask);
            double[][] at = {OpsTesting.doubles(q), OpsTesting.doubles(k), OpsTesting.doubles(v)};
            Function<double[][], Double> loss = p -> dot(JavaReference.attention(p[0], p[1], p[2], 2, tq, tk, d, d, mm, true, 0.6), rr);
            for (String path : new String[] {"pure", "fast"}) {
                OpsTesting.Pass pass = OpsTesting.pass(in -> path.equals("pure")
                        ? DjlOps.attention(in[0], in[1], in[2], mask, true, 0.6)
                        : TorchScriptOps.attention(in[0], in[1], in[2], mask, true, 0.6), r, q, k, v);
                double e = 0;
                for (int i = 0; i < 3; i++) {
                    e = Math.max(e, JavaReference.scaledError(OpsTesting.doubles(pass.grads[i]), numericGrad(loss, at, i)));
                }
                System.out.printf("attention %s gradients vs finite differences: %.2e%n", path, e);
                assertTrue(e <= TOL, path + " gradient error " + e);
            }
        }
    }

    /** Central differences of {@code loss} w.r.t. every element of {@code at[which]}. */
    private static double[] numericGrad(Function<double[][], Double> loss, double[][] at, int which) {
        double h = 1e-5;
        double[] g = new double[at[which].length];
        for (int i = 0; i < g.length; i++) {
            double keep = at[which][i];
            at[which][i] = keep + h;
            double up = loss.apply(at);
            at[which][i] = keep - h;
            double down = loss.apply(at);
            at[which][i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
