package dev.bkd.core.weights;

import ai.djl.ndarray.types.DataType;
import dev.bkd.core.safetensors.DType;

/** DJL dtype to safetensors dtype name. */
final class SafetensorsDTypes {
    private SafetensorsDTypes() {}

    static String name(DataType t) {
        return DType.of(t).map(Enum::name)
                .orElseThrow(() -> new IllegalArgumentException("no safetensors dtype for " + t));
    }
}
