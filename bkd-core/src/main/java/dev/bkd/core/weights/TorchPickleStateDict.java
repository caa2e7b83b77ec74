package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.pickle.TensorRef;
import dev.bkd.core.pickle.TorchArchive;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@link StateDict} over a {@code torch.save} checkpoint ({@code .ckpt}, {@code .bin}, {@code .pt}), read
 * weights-only by {@link TorchArchive}. Like diffusers' single-file loader, a top-level {@code "state_dict"}
 * entry (Lightning / LDM checkpoints: {@code {"state_dict": {...}, "global_step": ...}}) is descended into,
 * repeatedly; non-tensor entries (step counters, version strings) are not tensors and are left out.
 */
public final class TorchPickleStateDict implements StateDict {
    private final TorchArchive archive;
    private final Map<String, TensorRef> tensors;

    private TorchPickleStateDict(TorchArchive archive, Map<String, TensorRef> tensors) {
        this.archive = archive;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public static TorchPickleStateDict open(Path file) {
        TorchArchive a = TorchArchive.open(file);
        try {
            Object o = a.content();
            while (o instanceof Map<?, ?> m && m.get("state_dict") instanceof Map<?, ?> inner) {
                o = inner;
            }
            if (!(o instanceof Map<?, ?> m)) {
                throw new WeightFileException(file + ": holds a " + (o == null ? "None" : o.getClass().getSimpleName())
                        + ", not a state dict (a dict of tensors)");
            }
            Map<String, TensorRef> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey() instanceof String k && e.getValue() instanceof TensorRef t) {
                    out.put(k, t);
                }
            }
            return new TorchPickleStateDict(a, out);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    @Override
    public Set<String> keys() {
        return tensors.keySet();
    }

    @Override
    public TensorSpec spec(String key) {
        TensorRef t = get(key);
        return new TensorSpec(t.storage().type().dtype().name(), TorchArchive.shape(t));
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return archive.load(get(key), manager, key);
    }

    private TensorRef get(String key) {
        TensorRef t = tensors.get(key);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named " + key);
        }
        return t;
    }

    @Override
    public void close() {
        archive.close();
    }

    @Override
    public String toString() {
        return "StateDict[" + archive.path() + "]";
    }
}
