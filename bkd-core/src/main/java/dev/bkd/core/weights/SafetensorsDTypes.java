package dev.bkd.core.weights;

import ai.djl.ndarray.types.DataType;

/** DJL dtype to safetensors dtype name. */
final class SafetensorsDTypes {
    private SafetensorsDTypes() {}

    static String name(DataType t) {
        return switch (t) {
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT16 -> "I16";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("no safetensors dtype for " + t);
        };
    }
}
