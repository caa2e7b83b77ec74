package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What {@link ClipVisionTransformer} returns: {@code hiddenStates.get(0)} is after {@code pre_layrnorm}, then one
 * per layer (the last equals transformers' last_hidden_state, no final norm); {@code pooled} is
 * {@code post_layernorm} of the class token.
 */
public record ClipVisionOutput(List<NDArray> hiddenStates, NDArray pooled) {}
