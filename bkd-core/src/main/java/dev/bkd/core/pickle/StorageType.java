package dev.bkd.core.pickle;

import dev.bkd.core.safetensors.DType;

/** Element types of torch storages, named by the safetensors dtype with the same bytes. */
public enum StorageType {
    F32(DType.F32), F16(DType.F16), BF16(DType.BF16), F64(DType.F64), I64(DType.I64), I32(DType.I32),
    I16(DType.I16), I8(DType.I8), U8(DType.U8), BOOL(DType.BOOL);

    private final DType dtype;

    StorageType(DType dtype) {
        this.dtype = dtype;
    }

    /** The safetensors dtype with the same stored bytes (loading widens it the same way). */
    public DType dtype() {
        return dtype;
    }

    public int byteSize() {
        return dtype.byteSize();
    }
}
