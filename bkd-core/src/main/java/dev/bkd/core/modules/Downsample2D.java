package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Module;

/**
 * diffusers' Downsample2D with {@code use_conv=True}: a stride-2 3x3 {@code conv}. Padding 0 means
 * diffusers' asymmetric zero pad of one column right and one row bottom first (the VAE encoder).
 */
public final class Downsample2D extends Module {
    public final int padding;
    private final Conv2d conv;

    public Downsample2D(int channels, int outChannels, int padding) {
        this.padding = padding;
        conv = child("conv", new Conv2d(channels, outChannels, 3, 2, padding));
    }

    public NDArray forward(NDArray x) {
        NDArray h = x;
        if (padding == 0) {
            h = h.pad(new Shape(0, 1, 0, 1), 0); // torch pad order: (W left, W right, H top, H bottom)
        }
        return out(this, out(conv, conv.forward(h)));
    }
}
