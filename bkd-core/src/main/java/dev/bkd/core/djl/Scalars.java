package dev.bkd.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Array-by-number arithmetic that is safe under autograd. DJL's {@code mul(Number)}, {@code div(Number)} (and
 * the other Number overloads) wrap the number in a tensor that aliases a Java direct buffer and close it right
 * after the op. Autograd keeps that tensor for the backward pass, so once the GC frees the buffer the backward
 * reads freed memory: wrong gradients, only after a GC, differently each run. (DJL's {@code toType(t, true)}
 * to the same type aliases instead of copying, and {@code duplicate()} goes through a Java buffer, so neither
 * helps.) Here the scalar lives in memory torch allocated. Like DJL's, it is float32 (float64 for a float64
 * {@code x}), so results are bit-for-bit what the Number overloads give when they work.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code x * v}. */
    public static NDArray mul(NDArray x, double v) {
        try (NDArray s = scalar(x, v)) {
            return x.mul(s);
        }
    }

    /** {@code x / v}. */
    public static NDArray div(NDArray x, double v) {
        try (NDArray s = scalar(x, v)) {
            return x.div(s);
        }
    }

    /**
     * torch.clamp(x, lo, hi) with the same gradient (it passes where lo <= x <= hi), without DJL's
     * {@code clip(Number, Number)}, whose bound tensors clamp's backward reads after they were freed.
     */
    public static NDArray clamp(NDArray x, double lo, double hi) {
        NDManager m = x.getManager();
        // DJL's where does not broadcast, hence full-size bounds
        try (NDArray low = m.full(x.getShape(), (float) lo, x.getDataType(), x.getDevice());
             NDArray high = m.full(x.getShape(), (float) hi, x.getDataType(), x.getDevice());
             NDArray below = x.lt(low);
             NDArray above = x.gt(high);
             NDArray upper = NDArrays.where(above, high, x)) {
            return NDArrays.where(below, low, upper);
        }
    }

    /** A 0-dim array holding exactly {@code v}, in memory torch allocated, in {@code like}'s manager and device. */
    public static NDArray scalar(NDArray like, double v) {
        NDManager m = like.getManager();
        if (like.getDataType() != DataType.FLOAT64) {
            return m.full(new Shape(), (float) v, DataType.FLOAT32, like.getDevice()); // one torch::full, exact
        }
        // full takes a float: add the double in place (finished before DJL frees its operand)
        return m.zeros(new Shape(), DataType.FLOAT64, like.getDevice()).addi(v);
    }
}
