package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Module;

/**
 * diffusers' BasicTransformerBlock with {@code norm_type="layer_norm"}, GEGLU feed-forward and pre-norm
 * residuals: self-attention {@code attn1}, cross-attention {@code attn2} (absent when there is no
 * cross-attention dim), {@code ff}. With only_cross_attention, attn1 also attends to the context.
 */
public final class BasicTransformerBlock extends Module {
    public final boolean onlyCrossAttention;
    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;

    /** @param crossAttentionDim context width, or 0 for a self-attention-only block */
    public BasicTransformerBlock(int dim, int heads, int dimHead, int crossAttentionDim, boolean onlyCrossAttention,
            boolean upcastAttention) {
        this.onlyCrossAttention = onlyCrossAttention;
        norm1 = child("norm1", new LayerNorm(dim, 1e-5f));
        attn1 = child("attn1", new Attention(Attention.Spec.transformer(dim,
                onlyCrossAttention ? crossAttentionDim : 0, heads, dimHead, upcastAttention)));
        if (crossAttentionDim > 0) {
            norm2 = child("norm2", new LayerNorm(dim, 1e-5f));
            attn2 = child("attn2", new Attention(Attention.Spec.transformer(dim, crossAttentionDim, heads, dimHead,
                    upcastAttention)));
        } else {
            norm2 = null;
            attn2 = null;
        }
        norm3 = child("norm3", new LayerNorm(dim, 1e-5f));
        ff = child("ff", new FeedForward(dim, dim * 4));
    }

    /** @param x (B, T, dim); @param context (B, S, crossAttentionDim) or null */
    public NDArray forward(NDArray x, NDArray context) {
        NDArray h = x.add(attn1.forward(out(norm1, norm1.forward(x)), onlyCrossAttention ? context : null));
        if (attn2 != null) {
            h = h.add(attn2.forward(out(norm2, norm2.forward(h)), context));
        }
        h = h.add(ff.forward(out(norm3, norm3.forward(h))));
        return out(this, h);
    }
}
