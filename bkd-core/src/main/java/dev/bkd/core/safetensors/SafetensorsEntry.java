package dev.bkd.core.safetensors;

import ai.djl.ndarray.types.Shape;

/**
 * One tensor of a safetensors header. {@code begin}/{@code end} are byte offsets relative to the start of the
 * data buffer (just after the header), as in the file.
 */
public record SafetensorsEntry(String name, DType dtype, Shape shape, long begin, long end) {

    /** Stored size in bytes. */
    public long byteSize() {
        return end - begin;
    }

    /** Number of elements (1 for a scalar). */
    public long elementCount() {
        return shape.size();
    }
}
