package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A micro-batch before noise: VAE latents already times the scaling factor (B, C, h, w), the text encoder's
 * hidden states (B, T, D), both float32, and the captions they came from; for inpainting models also the
 * channels appended to the noisy latents of every UNet call ({@code unetConditioning}: mask and masked-image
 * latents, (B, 1 + C, h, w)), else null.
 */
public record CleanBatch(NDArray latents, NDArray encoderHiddenStates, List<String> captions,
                         NDArray unetConditioning) {
    public CleanBatch {
        captions = List.copyOf(captions);
    }

    /** A batch for a text-to-image UNet (no extra input channels). */
    public CleanBatch(NDArray latents, NDArray encoderHiddenStates, List<String> captions) {
        this(latents, encoderHiddenStates, captions, null);
    }

    public int size() {
        return captions.size();
    }
}
