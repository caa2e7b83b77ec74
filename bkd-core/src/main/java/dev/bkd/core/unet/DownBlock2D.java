package dev.bkd.core.unet;

/** diffusers' DownBlock2D: resnets and an optional downsampler, no attention. */
public final class DownBlock2D extends UNetDownBlock {
    public DownBlock2D(BlockSpec spec) {
        super(spec, false);
    }
}
