package dev.bkd.core.unet;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Transformer2DModel;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/**
 * diffusers' UNetMidBlock2DCrossAttn (one layer, as the UNet builds it): {@code resnets.0},
 * {@code attentions.0}, {@code resnets.1}, all at the deepest width; resnets use mid_block_scale_factor.
 */
public final class UNetMidBlock2DCrossAttn extends Module {
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2DCrossAttn(BlockSpec s) {
        BlockSpec.AttentionSpec a = s.attention();
        int c = s.inChannels();
        attentions = child("attentions", new ModuleList<>());
        resnets = child("resnets", new ModuleList<>());
        resnets.add(resnet(s));
        for (int i = 0; i < s.numLayers(); i++) {
            // diffusers does not pass only_cross_attention to this block
            attentions.add(new Transformer2DModel(a.heads(), c / a.heads(), c, a.transformerLayers(),
                    a.crossAttentionDim(), s.groups(), a.useLinearProjection(), false, a.upcastAttention()));
            resnets.add(resnet(s));
        }
    }

    private static ResnetBlock2D resnet(BlockSpec s) {
        return new ResnetBlock2D(s.inChannels(), s.inChannels(), s.tembChannels(), s.groups(), s.eps(), s.actFn(),
                s.outputScaleFactor());
    }

    public NDArray forward(NDArray x, NDArray temb, NDArray context) {
        NDArray h = Scoped.keep(() -> resnets.get(0).forward(x, temb));
        for (int i = 0; i < attentions.size(); i++) {
            Transformer2DModel a = attentions.get(i);
            ResnetBlock2D r = resnets.get(i + 1);
            NDArray in = h;
            NDArray res = Scoped.keep(() -> a.forward(in, context));
            h = Scoped.keep(() -> r.forward(res, temb));
        }
        return out(this, h);
    }
}
