package dev.bkd.models.vae;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.modules.Upsample2D;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/** diffusers UpDecoderBlock2D: {@code resnets.*} without time embedding, then {@code upsamplers.0} (nearest x2, conv). */
public final class UpDecoderBlock2D extends Module {
    final ModuleList<ResnetBlock2D> resnets = child("resnets", new ModuleList<>());
    final ModuleList<Upsample2D> upsamplers;

    public UpDecoderBlock2D(int inChannels, int outChannels, int numLayers, boolean addUpsample, int groups,
            String actFn) {
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, 0, groups, AutoencoderKL.NORM_EPS, actFn, 1.0));
        }
        upsamplers = addUpsample ? child("upsamplers", new ModuleList<>()) : null;
        if (addUpsample) {
            upsamplers.add(new Upsample2D(outChannels, outChannels));
        }
    }

    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            NDArray in = h;
            h = Scoped.keep(() -> r.forward(in, null));
        }
        if (upsamplers != null) {
            NDArray in = h;
            h = Scoped.keep(() -> upsamplers.get(0).forward(in, null));
        }
        return Taps.out(this, h);
    }
}
