package dev.bkd.core.ops;

/**
 * GroupNorm and attention written out in plain Java doubles straight from their definitions
 * (torch.nn.functional.group_norm, scaled_dot_product_attention): the independent oracle for tiny
 * shapes. Arrays are row-major.
 */
final class JavaReference {
    private JavaReference() {}

    /** x (N, C, L) flattened, weight/bias (C) or null; biased variance like torch. */
    static double[] groupNorm(double[] x, int n, int c, int l, int groups, double[] w, double[] b, double eps) {
        double[] y = new double[x.length];
        int cg = c / groups;
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                int start = (i * c + g * cg) * l;
                int count = cg * l;
                double mean = 0;
                for (int j = 0; j < count; j++) {
                    mean += x[start + j];
                }
                mean /= count;
                double var = 0;
                for (int j = 0; j < count; j++) {
                    double d = x[start + j] - mean;
                    var += d * d;
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + eps);
                for (int j = 0; j < count; j++) {
                    int ch = g * cg + j / l;
                    double v = (x[start + j] - mean) * inv;
                    y[start + j] = v * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                }
            }
        }
        return y;
    }

    /**
     * q (bh, tq, d), k (bh, tk, d), v (bh, tk, dv) flattened over the leading batch*heads; mask is an
     * additive (bh, tq, tk) array or null.
     */
    static double[] attention(double[] q, double[] k, double[] v, int bh, int tq, int tk, int d, int dv,
            double[] mask, boolean causal, double scale) {
        double[] out = new double[bh * tq * dv];
        double[] s = new double[tk];
        for (int h = 0; h < bh; h++) {
            for (int i = 0; i < tq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += q[(h * tq + i) * d + e] * k[(h * tk + j) * d + e];
                    }
                    s[j] = dot * scale + (mask == null ? 0 : mask[(h * tq + i) * tk + j]);
                    if (causal && j > i) {
                        s[j] = Double.NEGATIVE_INFINITY;
                    }
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < tk; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int e = 0; e < dv; e++) {
                    double acc = 0;
                    for (int j = 0; j < tk; j++) {
                        acc += s[j] / sum * v[(h * tk + j) * dv + e];
                    }
                    out[(h * tq + i) * dv + e] = acc;
                }
            }
        }
        return out;
    }

    /** Max |a - b| over max(1, max |b|): an absolute error for values of order one, relative beyond. */
    static double scaledError(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double err = 0;
        double mag = 1;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
            mag = Math.max(mag, Math.abs(b[i]));
        }
        return err / mag;
    }
}
