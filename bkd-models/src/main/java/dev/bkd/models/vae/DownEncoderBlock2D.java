package dev.bkd.models.vae;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.modules.Downsample2D;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/** diffusers DownEncoderBlock2D: {@code resnets.*} without time embedding, then {@code downsamplers.0} (pad-0 conv). */
public final class DownEncoderBlock2D extends Module {
    final ModuleList<ResnetBlock2D> resnets = child("resnets", new ModuleList<>());
    final ModuleList<Downsample2D> downsamplers;

    public DownEncoderBlock2D(int inChannels, int outChannels, int numLayers, boolean addDownsample, int groups,
            String actFn) {
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, 0, groups, AutoencoderKL.NORM_EPS, actFn, 1.0));
        }
        downsamplers = addDownsample ? child("downsamplers", new ModuleList<>()) : null;
        if (addDownsample) {
            downsamplers.add(new Downsample2D(outChannels, outChannels, 0));
        }
    }

    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            NDArray in = h;
            h = Scoped.keep(() -> r.forward(in, null));
        }
        if (downsamplers != null) {
            NDArray in = h;
            h = Scoped.keep(() -> downsamplers.get(0).forward(in));
        }
        return Taps.out(this, h);
    }
}
