package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;

/**
 * A float32 array held in Java (row-major), so results outlive the native arrays of the call that made them.
 */
public record FloatTensor(Shape shape, float[] data) {
    public FloatTensor {
        if (shape.size() != data.length) {
            throw new BkdException("FloatTensor: shape " + shape + " needs " + shape.size() + " values, got "
                    + data.length);
        }
    }

    /** A copy of {@code a}'s values (cast to float32). */
    public static FloatTensor of(NDArray a) {
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        try {
            return new FloatTensor(a.getShape(), f.toFloatArray());
        } finally {
            if (f != a) {
                f.close();
            }
        }
    }

    /** A new native array in {@code manager} with these values. */
    public NDArray toNDArray(NDManager manager) {
        return manager.create(data, shape);
    }
}
