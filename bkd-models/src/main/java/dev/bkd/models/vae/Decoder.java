package dev.bkd.models.vae;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.modules.Nonlinearity;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import java.util.List;

/** diffusers vae.Decoder (group norm): latent (B, latent, h, w) to image (B, out, h·f, w·f). */
public final class Decoder extends Module {
    final Conv2d convIn;
    final ModuleList<UpDecoderBlock2D> upBlocks;
    final UNetMidBlock2D midBlock;
    final GroupNorm convNormOut;
    final Nonlinearity convAct;
    final Conv2d convOut;

    public Decoder(AutoencoderKLConfig c) {
        List<Integer> ch = c.blockOutChannels();
        int groups = c.normNumGroups();
        int last = ch.get(ch.size() - 1);
        convIn = child("conv_in", new Conv2d(c.latentChannels(), last, 3, 1, 1));
        upBlocks = child("up_blocks", new ModuleList<>());
        midBlock = child("mid_block", new UNetMidBlock2D(last, groups, c.actFn(), c.midBlockAddAttention()));
        int out = last;
        for (int i = 0; i < ch.size(); i++) {
            int in = out;
            out = ch.get(ch.size() - 1 - i);
            upBlocks.add(new UpDecoderBlock2D(in, out, c.layersPerBlock() + 1, i < ch.size() - 1, groups, c.actFn()));
        }
        convNormOut = child("conv_norm_out", new GroupNorm(groups, ch.get(0), AutoencoderKL.NORM_EPS));
        convAct = child("conv_act", new Nonlinearity("silu", "vae decoder conv_act")); // always SiLU in diffusers
        convOut = child("conv_out", new Conv2d(ch.get(0), c.outChannels(), 3, 1, 1));
    }

    public NDArray forward(NDArray z) {
        NDArray h = Scoped.keep(() -> out(convIn, convIn.forward(z)));
        NDArray mid = h;
        h = Scoped.keep(() -> midBlock.forward(mid));
        for (UpDecoderBlock2D b : upBlocks) {
            NDArray in = h;
            h = Scoped.keep(() -> b.forward(in));
        }
        NDArray last = h;
        return out(this, Scoped.keep(() ->
                out(convOut, convOut.forward(convAct.forward(out(convNormOut, convNormOut.forward(last)))))));
    }
}
