package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * Where a denoising loop starts: the latents before the first step, the timesteps to run, and what
 * image-to-image / inpainting add to each step.
 *
 * @param latents (B, 4, h, w) float32 latents before the first step
 * @param timesteps the timesteps to run, in order
 * @param unetExtra channels appended to the scaled latents of every UNet call (the 9-channel inpainting UNet's
 *     mask and masked-image latents, already doubled for guidance), or null
 * @param blend the known region blended back after every step (legacy inpainting with a 4-channel UNet), or null
 */
record DenoisingStart(NDArray latents, float[] timesteps, NDArray unetExtra, LegacyBlend blend) {

    /**
     * diffusers' StableDiffusionInpaintPipeline step for 4-channel UNets: after step i (except the last), the
     * latents outside the mask become the image latents noised to timesteps[i + 1] with the start noise:
     * latents = (1 - mask) add_noise(image_latents, noise, t[i + 1]) + mask latents.
     *
     * @param imageLatents (B, 4, h, w) scaled VAE latents of the init image
     * @param mask (B, 1, h, w): 1 = repaint, 0 = keep
     * @param noise (B, 4, h, w) the noise drawn for the start latents
     */
    record LegacyBlend(NDArray imageLatents, NDArray mask, NDArray noise) {}
}
