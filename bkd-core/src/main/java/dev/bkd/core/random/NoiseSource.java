package dev.bkd.core.random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Where a sampler's Gaussian noise comes from: bkd's own {@link Generator} or the torch-identical
 * {@link TorchGenerator}. Draws are consumed in call order, so one source per generation reproduces diffusers'
 * sequence (initial latents first, then each stochastic step's noise).
 */
public interface NoiseSource {
    /** A float32 array of {@code shape} with standard-normal entries, row-major draw order. */
    NDArray randn(NDManager manager, Shape shape);
}
