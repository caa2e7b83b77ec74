package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;

/** A correction added to a layer's output (LoRA) that owns its own tensors and leaves the layer's untouched. */
public interface LayerAdapter {
    /** The adapted output, given the layer's {@code input} and its plain {@code output}. */
    NDArray adapt(NDArray input, NDArray output);
}
