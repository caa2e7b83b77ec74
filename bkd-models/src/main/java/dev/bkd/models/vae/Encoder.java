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

/** diffusers vae.Encoder with double_z: image (B, in, H, W) to moments (B, 2·latent, H/f, W/f). */
public final class Encoder extends Module {
    final Conv2d convIn;
    final ModuleList<DownEncoderBlock2D> downBlocks;
    final UNetMidBlock2D midBlock;
    final GroupNorm convNormOut;
    final Nonlinearity convAct;
    final Conv2d convOut;

    public Encoder(AutoencoderKLConfig c) {
        List<Integer> ch = c.blockOutChannels();
        int groups = c.normNumGroups();
        convIn = child("conv_in", new Conv2d(c.inChannels(), ch.get(0), 3, 1, 1));
        downBlocks = child("down_blocks", new ModuleList<>());
        int out = ch.get(0);
        for (int i = 0; i < ch.size(); i++) {
            int in = out;
            out = ch.get(i);
            downBlocks.add(new DownEncoderBlock2D(in, out, c.layersPerBlock(), i < ch.size() - 1, groups, c.actFn()));
        }
        int last = ch.get(ch.size() - 1);
        midBlock = child("mid_block", new UNetMidBlock2D(last, groups, c.actFn(), c.midBlockAddAttention()));
        convNormOut = child("conv_norm_out", new GroupNorm(groups, last, AutoencoderKL.NORM_EPS));
        convAct = child("conv_act", new Nonlinearity("silu", "vae encoder conv_act")); // always SiLU in diffusers
        convOut = child("conv_out", new Conv2d(last, 2 * c.latentChannels(), 3, 1, 1));
    }

    public NDArray forward(NDArray x) {
        NDArray h = Scoped.keep(() -> out(convIn, convIn.forward(x)));
        for (DownEncoderBlock2D b : downBlocks) {
            NDArray in = h;
            h = Scoped.keep(() -> b.forward(in));
        }
        NDArray mid = h;
        h = Scoped.keep(() -> midBlock.forward(mid));
        NDArray last = h;
        return out(this, Scoped.keep(() ->
                out(convOut, convOut.forward(convAct.forward(out(convNormOut, convNormOut.forward(last)))))));
    }
}
