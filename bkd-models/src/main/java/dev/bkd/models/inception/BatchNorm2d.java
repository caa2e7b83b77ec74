package dev.bkd.models.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import dev.bkd.core.nn.Module;

/**
 * torch.nn.BatchNorm2d in eval mode (running statistics): feature extraction never trains it. The checkpoint's
 * int64 {@code num_batches_tracked} counter only matters for training and is not loaded.
 */
final class BatchNorm2d extends Module {
    private final float eps;

    BatchNorm2d(int channels, float eps) {
        this.eps = eps;
        param("weight", Parameter.Type.GAMMA, channels);
        param("bias", Parameter.Type.BETA, channels);
        param("running_mean", Parameter.Type.RUNNING_MEAN, channels);
        param("running_var", Parameter.Type.RUNNING_VAR, channels);
    }

    NDArray forward(NDArray x) {
        return BatchNorm.batchNorm(x, p("running_mean"), p("running_var"), p("weight"), p("bias"), 1, 0.1f, eps,
                false).singletonOrThrow();
    }
}
