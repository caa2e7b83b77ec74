package dev.bkd.train.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/** Encodes a batch of pixels (B, 3, H, W) in [-1, 1], e.g. to VAE latent mean and std; outputs lead with B. */
@FunctionalInterface
public interface ImageEncoder {
    /** Named outputs, each of shape (B, ...), created in {@code manager}. */
    Map<String, NDArray> encode(NDArray pixels, NDManager manager);
}
