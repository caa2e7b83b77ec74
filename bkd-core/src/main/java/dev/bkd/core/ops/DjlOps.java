package dev.bkd.core.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.djl.Scalars;
import java.util.Arrays;

/**
 * The portable reference implementation of {@link Ops} in plain DJL ops: any engine, autograd
 * through DJL. Statistics are computed in the input dtype. Intermediates are closed before returning
 * (autograd keeps its own references), so callers' managers only gain the result.
 */
public final class DjlOps {
    /** Attention scores materialised at once, in elements (64 MiB of float32). */
    static final long SCORE_BUDGET = 1L << 24;

    private DjlOps() {}

    /** Same contract as {@link Ops#groupNorm}. */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        OpsArgs.checkGroupNorm(x, groups, weight, bias);
        Shape s = x.getShape();
        long[] affine = new long[s.dimension()];
        Arrays.fill(affine, 1);
        affine[1] = s.get(1);
        try (NDList t = new NDList()) {
            NDArray g = temp(t, x.reshape(s.get(0), groups, -1));
            NDArray centered = temp(t, g.sub(temp(t, g.mean(new int[] {2}, true))));
            NDArray var = temp(t, temp(t, centered.square()).mean(new int[] {2}, true));
            NDArray std = temp(t, temp(t, var.add(eps)).sqrt());
            NDArray y = temp(t, centered.div(std)).reshape(s);
            if (weight != null) {
                y = temp(t, y).mul(temp(t, weight.reshape(affine)));
            }
            if (bias != null) {
                y = temp(t, y).add(temp(t, bias.reshape(affine)));
            }
            return y;
        }
    }

    /**
     * {@link Ops#cast} as DJL has it: {@code toType}, which does not carry gradients back to {@code x} (DJL cuts
     * the graph); fine without autograd, which is why mixed-precision training refuses this backend.
     */
    public static NDArray cast(NDArray x, DataType dtype) {
        OpsArgs.checkCast(x, dtype);
        return x.toType(dtype, false);
    }

    /**
     * Same contract as {@link Ops#adamw}, with DJL's ops; temporaries (scalars included: DJL's Number overloads wrap
     * a Java buffer that autograd-enabled code must not see, see Scalars) live in a scope freed before returning.
     */
    public static void adamw(NDArray p, NDArray g, NDArray expAvg, NDArray expAvgSq, AdamWStep s) {
        try (NDManager scope = p.getManager().newSubManager()) {
            if (s.weightDecay() != 0) {
                p.muli(scalar(scope, 1 - s.lr() * s.weightDecay()));
            }
            lerp(expAvg, g, 1 - s.beta1(), scope);
            expAvgSq.muli(scalar(scope, s.beta2())).addi(tmp(g.mul(scalar(scope, 1 - s.beta2())), scope).muli(g));
            NDArray denom = tmp(expAvgSq.sqrt(), scope).divi(scalar(scope, s.biasCorrection2Sqrt()))
                    .addi(scalar(scope, s.eps()));
            p.addi(tmp(expAvg.mul(scalar(scope, -s.stepSize())), scope).divi(denom));
        }
    }

    /** torch.lerp_ in its two numerically different branches: {@code a += w * (b - a)} in place. */
    private static void lerp(NDArray a, NDArray b, double w, NDManager scope) {
        NDArray diff = tmp(b.sub(a), scope);
        if (w < 0.5) {
            a.addi(diff.muli(scalar(scope, w)));
        } else {
            tmp(b.sub(diff.muli(scalar(scope, 1 - w))), scope).copyTo(a);
        }
    }

    /** A float32 scalar in {@code scope} (libtorch computes a float tensor's scalar operand in float too). */
    private static NDArray scalar(NDManager scope, double v) {
        return scope.create((float) v);
    }

    /** Temporaries land in the operand's manager; move them to the scope so they are freed. */
    private static NDArray tmp(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /**
     * Same contract as {@link Ops#attention(NDArray, NDArray, NDArray, NDArray, boolean, double)}. Queries
     * are processed in chunks so at most {@link #SCORE_BUDGET} scores exist at a time (in inference;
     * under autograd the graph keeps each chunk's softmax for the backward pass, as any attention must).
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal, double scale) {
        return attention(q, k, v, mask, causal, scale, SCORE_BUDGET);
    }

    /** {@link #attention(NDArray, NDArray, NDArray, NDArray, boolean, double)} with at most {@code budget} scores at once. */
    static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal, double scale, long budget) {
        OpsArgs.checkAttention(q, k, v, mask, scale);
        Shape qs = q.getShape();
        int r = qs.dimension();
        long tq = qs.get(r - 2);
        long tk = k.getShape().get(r - 2);
        long perRow = qs.size() / (tq * qs.get(r - 1)) * tk;
        long rows = Math.max(1, Math.min(tq, budget / Math.max(1, perRow)));
        NDManager outer = q.getManager();
        try (NDList t = new NDList()) {
            NDArray additive = OpsArgs.additiveMask(mask, q.getDataType());
            if (additive != mask) {
                temp(t, additive);
            }
            NDArray kT = temp(t, k.swapAxes(r - 1, r - 2));
            NDList parts = new NDList();
            for (long r0 = 0; r0 < tq; r0 += rows) {
                long r1 = Math.min(tq, r0 + rows);
                try (NDManager scope = outer.newSubManager()) {
                    NDArray out = chunk(scope, q, kT, v, additive, causal, scale, r0, r1, tq);
                    out.attach(outer);
                    parts.add(out);
                }
            }
            if (parts.size() == 1) {
                return parts.get(0);
            }
            t.addAll(parts); // copied into the result
            return NDArrays.concat(parts, r - 2);
        }
    }

    /** Output rows [r0, r1) of the attention; every intermediate lives in {@code scope}. */
    private static NDArray chunk(NDManager scope, NDArray q, NDArray kT, NDArray v, NDArray mask, boolean causal,
            double scale, long r0, long r1, long tq) {
        int r = q.getShape().dimension();
        boolean whole = r0 == 0 && r1 == tq;
        NDArray qc = whole ? q : q.get(scope, rowSlice(r0, r1));
        NDArray scores = Scalars.mul(qc, scale);
        scores.attach(scope);
        scores = scores.matMul(kT);
        if (causal) {
            long tk = kT.getShape().get(r - 1);
            NDArray rows = scope.arange((int) r0, (int) r1).reshape(r1 - r0, 1);
            NDArray cols = scope.arange((int) tk).reshape(1, tk);
            NDArray allowed = cols.lte(rows); // key j <= query i: top-left aligned like torch's is_causal
            scores = scores.add(OpsArgs.additiveMask(allowed, scores.getDataType()));
        }
        if (mask != null) {
            Shape ms = mask.getShape();
            boolean perQuery = ms.dimension() >= 2 && ms.get(ms.dimension() - 2) == tq && tq > 1;
            scores = scores.add(perQuery && !whole ? mask.get(scope, rowSlice(r0, r1)) : mask);
        }
        return scores.softmax(-1).matMul(v);
    }

    /** Rows [r0, r1) of the second-to-last axis. */
    private static NDIndex rowSlice(long r0, long r1) {
        return new NDIndex("..., {}:{}, :", r0, r1);
    }

    private static NDArray temp(NDList temps, NDArray a) {
        temps.add(a);
        return a;
    }
}
