package dev.bkd.core.unet;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Transformer2DModel;
import dev.bkd.core.modules.Upsample2D;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import java.util.List;

/**
 * Shared body of diffusers' UpBlock2D and CrossAttnUpBlock2D: each resnet takes the hidden states
 * concatenated (on channels) with the next skip, popped from the end; its input width is
 * {@code (i == 0 ? prev_output : out) + (i == last ? in : out)} as in diffusers. Then {@code upsamplers.0}.
 */
public abstract class UNetUpBlock extends Module {
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<Upsample2D> upsamplers;

    protected UNetUpBlock(BlockSpec s, boolean crossAttention) {
        BlockSpec.AttentionSpec a = s.attention();
        attentions = crossAttention ? child("attentions", new ModuleList<>()) : null;
        resnets = child("resnets", new ModuleList<>());
        int n = s.numLayers();
        for (int i = 0; i < n; i++) {
            int skip = i == n - 1 ? s.inChannels() : s.outChannels();
            int in = i == 0 ? s.prevOutputChannels() : s.outChannels();
            resnets.add(new ResnetBlock2D(in + skip, s.outChannels(), s.tembChannels(), s.groups(), s.eps(),
                    s.actFn(), s.outputScaleFactor()));
            if (crossAttention) {
                attentions.add(new Transformer2DModel(a.heads(), s.outChannels() / a.heads(), s.outChannels(),
                        a.transformerLayers(), a.crossAttentionDim(), s.groups(), a.useLinearProjection(),
                        a.onlyCrossAttention(), a.upcastAttention()));
            }
        }
        upsamplers = s.addSampler() ? child("upsamplers", new ModuleList<>()) : null;
        if (upsamplers != null) {
            upsamplers.add(new Upsample2D(s.outChannels(), s.outChannels()));
        }
    }

    /** How many skips this block consumes. */
    public int numResnets() {
        return resnets.size();
    }

    /**
     * @param skips this block's skips in push order (the last is used first); exactly {@link #numResnets()}
     * @param upsampleSize (H, W) for the upsampler when the UNet forwards odd sizes, else null
     */
    public NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray context, long[] upsampleSize) {
        NDArray h = x;
        for (int i = 0; i < resnets.size(); i++) {
            ResnetBlock2D r = resnets.get(i);
            NDArray in = h;
            NDArray skip = skips.get(skips.size() - 1 - i);
            h = Scoped.keep(() -> r.forward(in.concat(skip, 1), temb));
            if (attentions != null) {
                Transformer2DModel a = attentions.get(i);
                NDArray res = h;
                h = Scoped.keep(() -> a.forward(res, context));
            }
        }
        if (upsamplers != null) {
            NDArray in = h;
            h = Scoped.keep(() -> upsamplers.get(0).forward(in, upsampleSize));
        }
        return out(this, h);
    }
}
