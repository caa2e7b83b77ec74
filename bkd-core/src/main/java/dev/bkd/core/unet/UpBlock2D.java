package dev.bkd.core.unet;

/** diffusers' UpBlock2D: skip-concatenating resnets and an optional upsampler, no attention. */
public final class UpBlock2D extends UNetUpBlock {
    public UpBlock2D(BlockSpec spec) {
        super(spec, false);
    }
}
