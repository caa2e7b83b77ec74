package dev.bkd.core.pickle;

/**
 * What {@code torch._utils._rebuild_tensor_v2} would build, kept as a description: a view of {@code storage}
 * starting {@code offset} elements in, with {@code size} and {@code stride} in elements. Nothing is read or
 * allocated until the archive loads it.
 */
public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    public long numel() {
        long n = 1;
        for (long s : size) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    /** True when the elements are the contiguous row-major run {@code [offset, offset + numel)}. */
    public boolean contiguous() {
        long expect = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expect) {
                return false;
            }
            expect *= size[i];
        }
        return true;
    }
}
