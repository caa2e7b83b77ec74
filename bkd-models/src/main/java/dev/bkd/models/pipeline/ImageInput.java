package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import dev.bkd.models.image.ResizeMode;
import java.awt.image.BufferedImage;

/**
 * The image part of a {@link GenerationRequest}: image-to-image when only {@link #image} is set, inpainting when a
 * {@link #mask} is set too. Set through the request's builder ({@code initImage}, {@code mask}, ...).
 *
 * @param image the init image (any size and colour mode; see {@link dev.bkd.models.image.ImageProcessor})
 * @param mask white (&ge; 128 after conversion to grey) = repaint, black = keep; null for image-to-image
 * @param strength in (0, 1]; null: diffusers' default, 0.8 for image-to-image and 1.0 for inpainting
 * @param resizeMode how an image of another size than the output is fitted
 * @param legacyInpainting inpaint with a normal 4-channel UNet by blending the known region back after every
 *     step (diffusers' StableDiffusionInpaintPipeline with a text-to-image UNet); a 9-channel inpainting UNet
 *     does not need it and refuses it
 * @param imageNoise the standard-normal draw for the VAE posterior sample of the init image, (1, 4, h, w), or
 *     (B, 4, h, w) for image-to-image with one seed per image (then each image has its own sample; inpainting
 *     samples once with the first image's generator, both as diffusers does); null: drawn from the seed
 * @param maskedImageNoise the same for the masked image (inpainting); null: drawn from the seed
 */
public record ImageInput(BufferedImage image, BufferedImage mask, Double strength, ResizeMode resizeMode,
        boolean legacyInpainting, NDArray imageNoise, NDArray maskedImageNoise) {

    /** diffusers' StableDiffusionImg2ImgPipeline default strength. */
    public static final double IMG2IMG_STRENGTH = 0.8;
    /** diffusers' StableDiffusionInpaintPipeline default strength. */
    public static final double INPAINT_STRENGTH = 1.0;

    /** Whether this is inpainting (a mask is given). */
    public boolean inpainting() {
        return mask != null;
    }

    /** The strength asked for, or the pipeline's default. */
    public double effectiveStrength() {
        return strength != null ? strength : inpainting() ? INPAINT_STRENGTH : IMG2IMG_STRENGTH;
    }
}
