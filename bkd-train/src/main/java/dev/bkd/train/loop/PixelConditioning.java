package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.random.Generator;

/**
 * Extra UNet input channels made from a batch's pixels (inpainting: mask and masked-image latents), which
 * {@link ImageSource} puts into {@link CleanBatch#unetConditioning()}.
 */
public interface PixelConditioning {
    /** (B, extra channels, h, w) for {@code pixels} (B, 3, H, W) in [-1, 1], in {@code m}; draws from {@code rng}. */
    NDArray condition(NDArray pixels, Generator rng, NDManager m);
}
