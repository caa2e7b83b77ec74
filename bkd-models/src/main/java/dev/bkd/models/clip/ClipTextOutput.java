package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What transformers' CLIPTextModel returns with {@code output_hidden_states=True}.
 *
 * @param lastHiddenState (B, T, C) after final_layer_norm: SD's prompt embedding
 * @param pooledOutput    (B, C) last_hidden_state at each row's end-of-text position
 * @param hiddenStates    embedding output then each layer's output (before final_layer_norm), so
 *                        {@code hiddenStates.get(size - 1 - k)} is "clip skip k"
 */
public record ClipTextOutput(NDArray lastHiddenState, NDArray pooledOutput, List<NDArray> hiddenStates) {
    public ClipTextOutput {
        hiddenStates = List.copyOf(hiddenStates);
    }
}
