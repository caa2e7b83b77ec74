package dev.bkd.core.unet;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.Downsample2D;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Transformer2DModel;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared body of diffusers' DownBlock2D and CrossAttnDownBlock2D: {@code resnets} (each optionally
 * followed by its {@code attentions} entry), then {@code downsamplers.0}. Every resnet/attention output
 * and the downsampled output are pushed as skip connections.
 */
public abstract class UNetDownBlock extends Module {
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<Downsample2D> downsamplers;

    /** A down block's result: the hidden states (after the downsampler) and the skips it pushes. */
    public record Output(NDArray hidden, List<NDArray> states) {}

    protected UNetDownBlock(BlockSpec s, boolean crossAttention) {
        BlockSpec.AttentionSpec a = s.attention();
        attentions = crossAttention ? child("attentions", new ModuleList<>()) : null;
        resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < s.numLayers(); i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? s.inChannels() : s.outChannels(), s.outChannels(),
                    s.tembChannels(), s.groups(), s.eps(), s.actFn(), s.outputScaleFactor()));
            if (crossAttention) {
                attentions.add(new Transformer2DModel(a.heads(), s.outChannels() / a.heads(), s.outChannels(),
                        a.transformerLayers(), a.crossAttentionDim(), s.groups(), a.useLinearProjection(),
                        a.onlyCrossAttention(), a.upcastAttention()));
            }
        }
        downsamplers = s.addSampler() ? child("downsamplers", new ModuleList<>()) : null;
        if (downsamplers != null) {
            downsamplers.add(new Downsample2D(s.outChannels(), s.outChannels(), s.downsamplePadding()));
        }
    }

    public int numResnets() {
        return resnets.size();
    }

    public Output forward(NDArray x, NDArray temb, NDArray context) {
        List<NDArray> states = new ArrayList<>();
        NDArray h = x;
        for (int i = 0; i < resnets.size(); i++) {
            ResnetBlock2D r = resnets.get(i);
            NDArray in = h;
            h = Scoped.keep(() -> r.forward(in, temb));
            if (attentions != null) {
                Transformer2DModel a = attentions.get(i);
                NDArray res = h;
                h = Scoped.keep(() -> a.forward(res, context));
            }
            states.add(h);
        }
        if (downsamplers != null) {
            NDArray in = h;
            h = Scoped.keep(() -> downsamplers.get(0).forward(in));
            states.add(h);
        }
        return new Output(out(this, h), states);
    }
}
