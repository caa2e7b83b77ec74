package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A micro-batch before noise: VAE latents already times the scaling factor (B, C, h, w), the text encoder's
 * hidden states (B, T, D), both float32, and the captions they came from.
 */
public record CleanBatch(NDArray latents, NDArray encoderHiddenStates, List<String> captions) {
    public CleanBatch {
        captions = List.copyOf(captions);
    }

    public int size() {
        return captions.size();
    }
}
