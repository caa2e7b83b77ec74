package dev.bkd.core.modules;

import dev.bkd.core.djl.Scalars;
import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.nn.AutocastPolicy.Op;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import dev.bkd.core.ops.Ops;

/**
 * diffusers' Attention (AttnProcessor2_0 path): {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0},
 * optional {@code group_norm} on the query input, residual connection and output rescale. Takes
 * (B, T, C) tokens or a (B, C, H, W) map (flattened to H·W tokens and back, as diffusers does).
 */
public final class Attention extends Module {

    /**
     * Construction parameters, named after diffusers' Attention arguments.
     *
     * @param crossAttentionDim key/value input width, or 0 for self-attention (= queryDim)
     * @param normGroups GroupNorm groups of {@code group_norm}, or 0 for none
     * @param upcastAttention / upcastSoftmax in fp16, compute the attention itself in fp32
     */
    public record Spec(int queryDim, int crossAttentionDim, int heads, int dimHead, boolean bias, boolean outBias,
            int normGroups, float normEps, boolean residualConnection, double rescaleOutputFactor,
            boolean upcastAttention, boolean upcastSoftmax) {

        /** The attention of a BasicTransformerBlock: no q/k/v bias, out bias, no norm, no residual. */
        public static Spec transformer(int queryDim, int crossAttentionDim, int heads, int dimHead, boolean upcastAttention) {
            return new Spec(queryDim, crossAttentionDim, heads, dimHead, false, true, 0, 1e-5f, false, 1.0,
                    upcastAttention, false);
        }

        /** The single-head-style spatial attention of the VAE mid block ({@code _from_deprecated_attn_block}). */
        public static Spec spatial(int channels, int dimHead, int normGroups, float eps, double rescaleOutputFactor) {
            return new Spec(channels, 0, channels / dimHead, dimHead, true, true, normGroups, eps, true,
                    rescaleOutputFactor, false, true);
        }
    }

    public final Spec spec;
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;

    public Attention(Spec spec) {
        if (spec.heads() < 1 || spec.dimHead() < 1) {
            throw new IllegalArgumentException("Attention: heads " + spec.heads() + " and dim_head " + spec.dimHead()
                    + " must be positive");
        }
        this.spec = spec;
        int inner = spec.heads() * spec.dimHead();
        int kvDim = spec.crossAttentionDim() > 0 ? spec.crossAttentionDim() : spec.queryDim();
        groupNorm = spec.normGroups() > 0
                ? child("group_norm", new GroupNorm(spec.normGroups(), spec.queryDim(), spec.normEps()))
                : null;
        toQ = child("to_q", new Linear(spec.queryDim(), inner, spec.bias()));
        toK = child("to_k", new Linear(kvDim, inner, spec.bias()));
        toV = child("to_v", new Linear(kvDim, inner, spec.bias()));
        ModuleList<Linear> outs = child("to_out", new ModuleList<>());
        toOut = outs.add(new Linear(inner, spec.queryDim(), spec.outBias()));
    }

    /**
     * @param hidden (B, T, C) or (B, C, H, W)
     * @param context (B, S, crossAttentionDim) for cross-attention, or null for self-attention
     */
    public NDArray forward(NDArray hidden, NDArray context) {
        NDArray residual = hidden;
        Shape in = hidden.getShape();
        NDArray x = hidden;
        if (in.dimension() == 4) {
            x = x.reshape(in.get(0), in.get(1), in.get(2) * in.get(3)).transpose(0, 2, 1);
        }
        if (groupNorm != null) {
            x = out(groupNorm, groupNorm.forward(x.transpose(0, 2, 1))).transpose(0, 2, 1);
        }
        NDArray kv = context == null ? x : context;
        NDArray q = Autocast.arg(Op.ATTENTION, split(out(toQ, toQ.forward(x))));
        NDArray k = Autocast.arg(Op.ATTENTION, split(out(toK, toK.forward(kv))));
        NDArray v = Autocast.arg(Op.ATTENTION, split(out(toV, toV.forward(kv))));
        double scale = 1.0 / Math.sqrt(spec.dimHead());
        NDArray a;
        if ((spec.upcastAttention() || spec.upcastSoftmax()) && q.getDataType() == DataType.FLOAT16) {
            // diffusers upcasts scores/softmax here; fp16 scores overflow at SD2.x scales. Ops.cast, not toType:
            // under autocast q, k, v carry the graph back to the trained projections
            DataType f = DataType.FLOAT32;
            a = Ops.cast(Ops.attention(Ops.cast(q, f), Ops.cast(k, f), Ops.cast(v, f), null, false, scale),
                    DataType.FLOAT16);
        } else {
            a = Ops.attention(q, k, v, null, false, scale);
        }
        Shape as = a.getShape(); // (B, H, T, D)
        a = a.transpose(0, 2, 1, 3).reshape(as.get(0), as.get(2), as.get(1) * as.get(3));
        NDArray y = out(toOut, toOut.forward(a));
        if (in.dimension() == 4) {
            y = y.transpose(0, 2, 1).reshape(in);
        }
        if (spec.residualConnection()) {
            y = y.add(residual);
        }
        if (spec.rescaleOutputFactor() != 1.0) {
            y = Scalars.div(y, spec.rescaleOutputFactor());
        }
        return out(this, y);
    }

    /** (B, T, H·D) -> (B, H, T, D). */
    private NDArray split(NDArray t) {
        Shape s = t.getShape();
        return t.reshape(s.get(0), s.get(1), spec.heads(), spec.dimHead()).transpose(0, 2, 1, 3);
    }
}
