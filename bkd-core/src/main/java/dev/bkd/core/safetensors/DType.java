package dev.bkd.core.safetensors;

import ai.djl.ndarray.types.DataType;
import java.util.Optional;

/**
 * Safetensors element types, declared in the reference implementation's order (increasing alignment); the
 * writer sorts tensors by this order, descending, like the reference writer. Types bkd cannot load have no
 * {@link #loadedAs()}: their files open, but loading such a tensor fails with a clear message.
 */
public enum DType {
    BOOL(1, DataType.BOOLEAN, DataType.BOOLEAN),
    U8(1, DataType.UINT8, DataType.UINT8),
    I8(1, DataType.INT8, DataType.INT8),
    F8_E5M2(1, null, null),
    F8_E4M3(1, null, null),
    F8_E8M0(1, null, null),
    /** DJL's PyTorch engine aborts the JVM on INT16 tensors, so I16 is widened to INT32 in Java. */
    I16(2, DataType.INT32, null),
    U16(2, null, null),
    F16(2, DataType.FLOAT16, DataType.FLOAT16),
    /** DJL aborts on BF16, so BF16 is widened to FLOAT32 in Java. */
    BF16(2, DataType.FLOAT32, null),
    I32(4, DataType.INT32, DataType.INT32),
    U32(4, null, null),
    F32(4, DataType.FLOAT32, DataType.FLOAT32),
    C64(8, null, null),
    F64(8, DataType.FLOAT64, DataType.FLOAT64),
    I64(8, DataType.INT64, DataType.INT64),
    U64(8, null, null);

    private final int byteSize;
    private final DataType loadedAs;
    private final DataType djlType;

    DType(int byteSize, DataType loadedAs, DataType djlType) {
        this.byteSize = byteSize;
        this.loadedAs = loadedAs;
        this.djlType = djlType;
    }

    /** Bytes per element on disk. */
    public int byteSize() {
        return byteSize;
    }

    /** The DJL type a loaded tensor has (BF16 -> FLOAT32, I16 -> INT32), or empty if bkd cannot load it. */
    public Optional<DataType> loadedAs() {
        return Optional.ofNullable(loadedAs);
    }

    /** True when loading converts the values to a wider type instead of copying the bytes. */
    public boolean isWidened() {
        return loadedAs != null && loadedAs != djlType;
    }

    /** The safetensors dtype for a DJL array type, or empty when safetensors/bkd cannot store it. */
    public static Optional<DType> of(DataType type) {
        for (DType d : values()) {
            if (d.djlType == type) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The dtype with this header name, or empty when it is not a byte-sized safetensors dtype. */
    public static Optional<DType> byName(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
