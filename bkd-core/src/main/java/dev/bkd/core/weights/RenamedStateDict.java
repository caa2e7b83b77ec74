package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A state dict seen under other key names (a missing {@code text_model.} prefix, legacy attention
 * names), so old layouts load into today's module tree. No data is copied; closing the view leaves the
 * underlying state dict open.
 */
public final class RenamedStateDict implements StateDict {
    private final StateDict base;
    private final Map<String, String> toBase;

    private RenamedStateDict(StateDict base, Map<String, String> toBase) {
        this.base = base;
        this.toBase = Collections.unmodifiableMap(toBase);
    }

    /**
     * Every key {@code k} of {@code base} appears as {@code rename.apply(k)}. Two keys landing on one name
     * is an error naming both ({@code source} says where the weights came from).
     */
    public static StateDict of(StateDict base, UnaryOperator<String> rename, String source) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String k : base.keys()) {
            String n = rename.apply(k);
            String clash = map.put(n, k);
            if (clash != null) {
                throw new BkdException("Weights " + source + " hold both `" + clash + "` and `" + k
                        + "`, which are the same tensor `" + n + "` in two naming schemes; keep only one");
            }
        }
        return new RenamedStateDict(base, map);
    }

    /**
     * {@code base} seen under the keys of {@code toBase}, each standing for the base tensor it maps to (a pruned
     * student's keys over its teacher's tensors). The map is copied.
     */
    public static StateDict view(StateDict base, Map<String, String> toBase) {
        return new RenamedStateDict(base, new LinkedHashMap<>(toBase));
    }

    @Override
    public Set<String> keys() {
        return toBase.keySet();
    }

    @Override
    public TensorSpec spec(String key) {
        return base.spec(baseKey(key));
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return base.load(baseKey(key), manager);
    }

    private String baseKey(String key) {
        String k = toBase.get(key);
        if (k == null) {
            throw new IllegalArgumentException("no tensor named " + key);
        }
        return k;
    }
}
