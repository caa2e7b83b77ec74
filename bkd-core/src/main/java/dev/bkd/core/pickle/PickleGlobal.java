package dev.bkd.core.pickle;

import java.util.Map;
import java.util.Optional;

/**
 * The only globals a weights-only pickle may name: what real SD/transformers checkpoints use (see the
 * checkpoints reference README), the same promise as {@code torch.load(weights_only=True)}. A table, so
 * widening the allow-list is one line here and nowhere else.
 */
public enum PickleGlobal {
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2", null),
    ORDERED_DICT("collections", "OrderedDict", null),
    FLOAT_STORAGE("torch", "FloatStorage", StorageType.F32),
    HALF_STORAGE("torch", "HalfStorage", StorageType.F16),
    BFLOAT16_STORAGE("torch", "BFloat16Storage", StorageType.BF16),
    DOUBLE_STORAGE("torch", "DoubleStorage", StorageType.F64),
    LONG_STORAGE("torch", "LongStorage", StorageType.I64),
    INT_STORAGE("torch", "IntStorage", StorageType.I32),
    SHORT_STORAGE("torch", "ShortStorage", StorageType.I16),
    CHAR_STORAGE("torch", "CharStorage", StorageType.I8),
    BYTE_STORAGE("torch", "ByteStorage", StorageType.U8),
    BOOL_STORAGE("torch", "BoolStorage", StorageType.BOOL);

    private static final Map<String, PickleGlobal> BY_NAME = byName();

    private final String module;
    private final String name;
    private final StorageType storage;

    PickleGlobal(String module, String name, StorageType storage) {
        this.module = module;
        this.name = name;
        this.storage = storage;
    }

    /** The allowed global {@code module.name}, or empty (the caller refuses it). */
    public static Optional<PickleGlobal> lookup(String module, String name) {
        return Optional.ofNullable(BY_NAME.get(module + "." + name));
    }

    public String qualifiedName() {
        return module + "." + name;
    }

    /** The element type when this global is a storage type, else empty. */
    public Optional<StorageType> storage() {
        return Optional.ofNullable(storage);
    }

    private static Map<String, PickleGlobal> byName() {
        Map<String, PickleGlobal> m = new java.util.HashMap<>();
        for (PickleGlobal g : values()) {
            m.put(g.qualifiedName(), g);
        }
        return Map.copyOf(m);
    }
}
