package dev.bkd.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * Moved to {@link dev.bkd.core.djl.Autograd} with the other DJL workarounds (models can now use its no-grad
 * scope too); this forwarder keeps code written against the old name compiling for one release.
 */
@Deprecated(forRemoval = true)
public final class Autograd {
    private Autograd() {}

    /** @see dev.bkd.core.djl.Autograd.NoGrad */
    public interface NoGrad extends dev.bkd.core.djl.Autograd.NoGrad {}

    /** @see dev.bkd.core.djl.Autograd#noGrad */
    public static NoGrad noGrad() {
        dev.bkd.core.djl.Autograd.NoGrad scope = dev.bkd.core.djl.Autograd.noGrad();
        return scope::close;
    }

    /** @see dev.bkd.core.djl.Autograd#grads */
    public static Map<String, NDArray> grads(Map<String, NDArray> params, NDManager scope) {
        return dev.bkd.core.djl.Autograd.grads(params, scope);
    }

    /** @see dev.bkd.core.djl.Autograd#zeroGrads */
    public static void zeroGrads(Map<String, NDArray> params) {
        dev.bkd.core.djl.Autograd.zeroGrads(params);
    }
}
