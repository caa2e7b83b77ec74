package dev.bkd.models.vae;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.Attention;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/**
 * diffusers UNetMidBlock2D as the VAE builds it: {@code resnets.0}, then per layer {@code attentions.i}
 * (one head over all channels, GroupNorm on its input, residual) and {@code resnets.i+1}. With
 * {@code mid_block_add_attention=false} there are no attentions.
 */
public final class UNetMidBlock2D extends Module {
    final ModuleList<ResnetBlock2D> resnets = child("resnets", new ModuleList<>());
    final ModuleList<Attention> attentions;

    public UNetMidBlock2D(int channels, int groups, String actFn, boolean addAttention) {
        attentions = addAttention ? child("attentions", new ModuleList<>()) : null;
        resnets.add(new ResnetBlock2D(channels, channels, 0, groups, AutoencoderKL.NORM_EPS, actFn, 1.0));
        if (addAttention) {
            attentions.add(new Attention(Attention.Spec.spatial(channels, channels, groups, AutoencoderKL.NORM_EPS, 1.0)));
        }
        resnets.add(new ResnetBlock2D(channels, channels, 0, groups, AutoencoderKL.NORM_EPS, actFn, 1.0));
    }

    public NDArray forward(NDArray x) {
        NDArray h0 = Scoped.keep(() -> resnets.get(0).forward(x, null));
        NDArray h = h0;
        if (attentions != null) {
            h = Scoped.keep(() -> attentions.get(0).forward(h0, null));
        }
        NDArray in = h;
        return Taps.out(this, Scoped.keep(() -> resnets.get(1).forward(in, null)));
    }
}
