package dev.bkd.core.unet;

/** diffusers' CrossAttnUpBlock2D: a Transformer2DModel after each skip-concatenating resnet, optional upsampler. */
public final class CrossAttnUpBlock2D extends UNetUpBlock {
    public CrossAttnUpBlock2D(BlockSpec spec) {
        super(spec, true);
    }
}
