package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * One micro-batch of the forward process: clean latents x0, noise, integer timesteps (B), the noisy latents
 * x_t, the text conditioning and the training target (the noise for epsilon, the velocity for v_prediction).
 */
public record DiffusionBatch(NDArray latents, NDArray noise, NDArray timesteps, NDArray noisyLatents,
                             NDArray encoderHiddenStates, NDArray target, List<String> captions) {
    public DiffusionBatch {
        captions = List.copyOf(captions);
    }

    public int size() {
        return captions.size();
    }
}
