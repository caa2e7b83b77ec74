package dev.bkd.core.unet;

/** diffusers' CrossAttnDownBlock2D: a Transformer2DModel after each resnet, then an optional downsampler. */
public final class CrossAttnDownBlock2D extends UNetDownBlock {
    public CrossAttnDownBlock2D(BlockSpec spec) {
        super(spec, true);
    }
}
