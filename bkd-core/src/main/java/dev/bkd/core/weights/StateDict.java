package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A read-only, lazy view of named tensors (PyTorch's state dict): names and shapes are known up front,
 * data is materialised only when {@link #load} is called. Backed by safetensors files or by a map.
 */
public interface StateDict extends AutoCloseable {

    /** Tensor names, in file order. */
    Set<String> keys();

    /** The stored dtype (safetensors name: F32, F16, BF16, ...) and shape of {@code key}. */
    TensorSpec spec(String key);

    /** Materialises {@code key} in {@code manager}. BF16 is widened to F32 (DJL cannot take BF16). */
    NDArray load(String key, NDManager manager);

    default boolean contains(String key) {
        return keys().contains(key);
    }

    @Override
    default void close() {}

    /** Stored dtype name and shape of one tensor. */
    record TensorSpec(String dtype, Shape shape) {}

    /** A state dict over in-memory arrays (tests, conversions). {@link #load} duplicates into the manager. */
    static StateDict of(Map<String, NDArray> tensors) {
        Map<String, NDArray> copy = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        return new StateDict() {
            @Override
            public Set<String> keys() {
                return copy.keySet();
            }

            @Override
            public TensorSpec spec(String key) {
                NDArray a = get(key);
                return new TensorSpec(SafetensorsDTypes.name(a.getDataType()), a.getShape());
            }

            @Override
            public NDArray load(String key, NDManager manager) {
                NDArray a = get(key);
                NDArray d = a.duplicate();
                d.attach(manager);
                return d;
            }

            private NDArray get(String key) {
                NDArray a = copy.get(key);
                if (a == null) {
                    throw new IllegalArgumentException("no tensor named " + key);
                }
                return a;
            }
        };
    }
}
