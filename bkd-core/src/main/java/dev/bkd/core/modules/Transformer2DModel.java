package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/**
 * diffusers' Transformer2DModel for continuous (B, C, H, W) input: {@code norm} (GroupNorm, eps 1e-6),
 * {@code proj_in} (1x1 conv, or Linear with use_linear_projection), H·W tokens through
 * {@code transformer_blocks}, {@code proj_out} back to C channels, plus the input as residual.
 */
public final class Transformer2DModel extends Module {
    public final boolean useLinearProjection;
    private final GroupNorm norm;
    private final Module projIn;
    private final ModuleList<BasicTransformerBlock> blocks;
    private final Module projOut;

    /**
     * @param heads number of heads; dimHead their width (inner dim = heads·dimHead)
     * @param crossAttentionDim context width, or 0 for none
     */
    public Transformer2DModel(int heads, int dimHead, int inChannels, int numLayers, int crossAttentionDim,
            int normGroups, boolean useLinearProjection, boolean onlyCrossAttention, boolean upcastAttention) {
        this.useLinearProjection = useLinearProjection;
        int inner = heads * dimHead;
        norm = child("norm", new GroupNorm(normGroups, inChannels, 1e-6f));
        projIn = child("proj_in", projection(inChannels, inner));
        blocks = child("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            blocks.add(new BasicTransformerBlock(inner, heads, dimHead, crossAttentionDim, onlyCrossAttention,
                    upcastAttention));
        }
        projOut = child("proj_out", projection(inner, inChannels));
    }

    private Module projection(int in, int outDim) {
        return useLinearProjection ? new Linear(in, outDim, true) : new Conv2d(in, outDim, 1, 1, 0);
    }

    private static NDArray apply(Module m, NDArray x) {
        return out(m, m instanceof Linear l ? l.forward(x) : ((Conv2d) m).forward(x));
    }

    /** @param x (B, C, H, W); @param context (B, S, D) or null */
    public NDArray forward(NDArray x, NDArray context) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(2);
        long w = s.get(3);
        NDArray t = out(norm, norm.forward(x));
        if (useLinearProjection) {
            t = apply(projIn, tokens(t));
        } else {
            t = tokens(apply(projIn, t));
        }
        for (BasicTransformerBlock blk : blocks) {
            t = blk.forward(t, context);
        }
        NDArray y;
        if (useLinearProjection) {
            y = map(apply(projOut, t), b, h, w);
        } else {
            y = apply(projOut, map(t, b, h, w));
        }
        return out(this, y.add(x));
    }

    /** (B, C, H, W) -> (B, H·W, C). */
    private static NDArray tokens(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 3, 1).reshape(s.get(0), s.get(2) * s.get(3), s.get(1));
    }

    /** (B, H·W, C) -> (B, C, H, W). */
    private static NDArray map(NDArray t, long b, long h, long w) {
        return t.reshape(b, h, w, t.getShape().get(2)).transpose(0, 3, 1, 2);
    }
}
