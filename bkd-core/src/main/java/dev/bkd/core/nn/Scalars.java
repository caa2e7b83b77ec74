package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * Moved to {@link dev.bkd.core.djl.Scalars} with the other DJL workarounds; this forwarder keeps code written
 * against the old name compiling for one release.
 */
@Deprecated(forRemoval = true)
public final class Scalars {
    private Scalars() {}

    /** @see dev.bkd.core.djl.Scalars#mul */
    public static NDArray mul(NDArray x, double v) {
        return dev.bkd.core.djl.Scalars.mul(x, v);
    }

    /** @see dev.bkd.core.djl.Scalars#div */
    public static NDArray div(NDArray x, double v) {
        return dev.bkd.core.djl.Scalars.div(x, v);
    }

    /** @see dev.bkd.core.djl.Scalars#clamp */
    public static NDArray clamp(NDArray x, double lo, double hi) {
        return dev.bkd.core.djl.Scalars.clamp(x, lo, hi);
    }

    /** @see dev.bkd.core.djl.Scalars#scalar */
    public static NDArray scalar(NDArray like, double v) {
        return dev.bkd.core.djl.Scalars.scalar(like, v);
    }
}
