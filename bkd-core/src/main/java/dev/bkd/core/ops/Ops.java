package dev.bkd.core.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Numerical kernels that DJL lacks (GroupNorm, fused attention). Every model calls these, never its own
 * copy, so a faster backend replaces them in one place. This is the portable pure-DJL version.
 */
public final class Ops {
    private Ops() {}

    /**
     * GroupNorm over {@code x} of shape (N, C, ...) with per-channel affine {@code weight}, {@code bias}
     * (either may be null), statistics in the input dtype, like torch.nn.functional.group_norm.
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        if (c % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + c + " channels are not divisible by " + groups + " groups");
        }
        NDArray g = x.reshape(n, groups, -1);
        NDArray mean = g.mean(new int[] {2}, true);
        NDArray centered = g.sub(mean);
        NDArray var = centered.square().mean(new int[] {2}, true);
        NDArray y = centered.div(var.add(eps).sqrt()).reshape(s);
        long[] affine = new long[s.dimension()];
        java.util.Arrays.fill(affine, 1);
        affine[1] = c;
        Shape as = new Shape(affine);
        if (weight != null) {
            y = y.mul(weight.reshape(as));
        }
        if (bias != null) {
            y = y.add(bias.reshape(as));
        }
        return y;
    }

    /**
     * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, for q (B, H, Tq, D), k and v (B, H, Tk, D).
     * {@code mask} is additive and broadcastable to (B, H, Tq, Tk), or null; {@code causal} masks keys after
     * the query position. Scale is 1/sqrt(D).
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal) {
        long d = q.getShape().get(-1);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(d));
        if (causal) {
            long tq = q.getShape().get(-2);
            long tk = k.getShape().get(-2);
            NDArray rows = q.getManager().arange(tq).reshape(tq, 1);
            NDArray cols = q.getManager().arange(tk).reshape(1, tk);
            NDArray future = cols.gt(rows);
            scores = scores.add(future.toType(scores.getDataType(), false).mul(-1e30f).maximum(-Float.MAX_VALUE));
        }
        if (mask != null) {
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matMul(v);
    }
}
