package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * One micro-batch of the forward process: clean latents x0, noise, integer timesteps (B), the noisy latents
 * x_t, the text conditioning and the training target (the noise for epsilon, the velocity for v_prediction);
 * {@code unetConditioning} as in {@link CleanBatch} (null for text-to-image UNets).
 */
public record DiffusionBatch(NDArray latents, NDArray noise, NDArray timesteps, NDArray noisyLatents,
                             NDArray encoderHiddenStates, NDArray target, List<String> captions,
                             NDArray unetConditioning) {
    public DiffusionBatch {
        captions = List.copyOf(captions);
    }

    /** A batch for a text-to-image UNet (no extra input channels). */
    public DiffusionBatch(NDArray latents, NDArray noise, NDArray timesteps, NDArray noisyLatents,
                          NDArray encoderHiddenStates, NDArray target, List<String> captions) {
        this(latents, noise, timesteps, noisyLatents, encoderHiddenStates, target, captions, null);
    }

    /**
     * What the UNet takes: the noisy latents, with the inpainting channels appended when there are any
     * (diffusers' cat([noisy_latents, mask, masked_latents], dim=1)).
     */
    public NDArray unetInput() {
        return unetConditioning == null ? noisyLatents : noisyLatents.concat(unetConditioning, 1);
    }

    public int size() {
        return captions.size();
    }
}
