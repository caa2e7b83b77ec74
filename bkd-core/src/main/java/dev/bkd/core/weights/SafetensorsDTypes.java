package dev.bkd.core.weights;

import ai.djl.ndarray.types.DataType;
import dev.bkd.core.safetensors.DType;

/** DJL dtype to safetensors dtype name. */
final class SafetensorsDTypes {
    private SafetensorsDTypes() {}

    static String name(DataType t) {
        if (t == DataType.BFLOAT16) {
            return "BF16"; // loadable only widened, but still nameable
        }
        return DType.of(t).map(Enum::name)
                .orElseThrow(() -> new IllegalArgumentException("no safetensors dtype for " + t));
    }
}
