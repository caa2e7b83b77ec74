package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.ops.Ops;

/** transformers CLIPAttention: multi-head self-attention with biased projections, causal in the text tower. */
public final class ClipAttention extends Module {
    private final int heads;
    private final int headDim;
    private final double scale;
    private final boolean causal;
    final Linear kProj;
    final Linear vProj;
    final Linear qProj;
    final Linear outProj;

    public ClipAttention(ClipLayerSpec spec) {
        int dim = spec.hiddenSize();
        heads = spec.numHeads();
        headDim = spec.headDim();
        causal = spec.causal();
        scale = Math.pow(headDim, -0.5);
        kProj = child("k_proj", new Linear(dim, dim, true));
        vProj = child("v_proj", new Linear(dim, dim, true));
        qProj = child("q_proj", new Linear(dim, dim, true));
        outProj = child("out_proj", new Linear(dim, dim, true));
    }

    /** {@code x} (B, T, C) to (B, T, C); when causal, each position sees itself and earlier positions only. */
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray out = Ops.attention(split(qProj.forward(x), b, t), split(kProj.forward(x), b, t),
                split(vProj.forward(x), b, t), null, causal, scale);
        return outProj.forward(out.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim));
    }

    private NDArray split(NDArray y, long b, long t) {
        return y.reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);
    }
}
