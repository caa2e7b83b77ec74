package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsIndex;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/** A {@link StateDict} over a sharded checkpoint ({@code *.safetensors.index.json}); keys in weight_map order. */
public final class ShardedStateDict implements StateDict {
    private final SafetensorsIndex index;
    private final Set<String> keys;

    public ShardedStateDict(SafetensorsIndex index) {
        this.index = index;
        this.keys = Collections.unmodifiableSet(new LinkedHashSet<>(index.names()));
    }

    public static ShardedStateDict open(Path indexFile) {
        return new ShardedStateDict(SafetensorsIndex.open(indexFile));
    }

    public SafetensorsIndex index() {
        return index;
    }

    @Override
    public Set<String> keys() {
        return keys;
    }

    @Override
    public TensorSpec spec(String key) {
        SafetensorsEntry e = index.shardOf(key).entry(key);
        return new TensorSpec(e.dtype().name(), e.shape());
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return index.shardOf(key).load(key, manager);
    }

    @Override
    public void close() {
        index.close();
    }

    @Override
    public String toString() {
        return "StateDict[" + index.path() + ", " + index.shards().size() + " shards]";
    }
}
