package dev.bkd.models.pipeline;

/** What {@link DiffusionPipeline#generate} returns (diffusers' {@code output_type}: "pil", "np", "latent"). */
public enum OutputType {
    /** {@link java.awt.image.BufferedImage}s, 8-bit RGB, rounded like diffusers' numpy_to_pil. */
    IMAGES,
    /** The decoded images as floats in [0, 1], (batch, height, width, 3). */
    ARRAY,
    /** The final latents before 1/scaling_factor, (batch, latent_channels, height/8, width/8). */
    LATENTS
}
