package dev.bkd.core.singlefile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.weights.StateDict;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One component of a single file seen under its diffusers keys: a lazy {@link StateDict} (no tensor is read
 * until a model loads it, so memory stays at one tensor beyond the model, as for a safetensors folder).
 * Built by {@link SingleFile}; closing it leaves the file open.
 */
public final class LdmComponentView implements StateDict {
    /** Where a diffusers tensor comes from. */
    private record Origin(String fileKey, KeyOp op) {}

    private final StateDict file;
    private final Map<String, Origin> origins;
    private final List<String> unplaced;
    private final List<String> enumerated;

    private LdmComponentView(StateDict file, Map<String, Origin> origins, List<String> unplaced,
            List<String> enumerated) {
        this.file = file;
        this.origins = Collections.unmodifiableMap(origins);
        this.unplaced = List.copyOf(unplaced);
        this.enumerated = List.copyOf(enumerated);
    }

    /**
     * The tensors of {@code file} under {@code prefix} mapped by {@code map}; with {@code emaPrefix} non-null,
     * each tensor is read from its EMA copy instead ({@code model_ema.} + the key without dots, LDM's naming).
     * File keys under the prefix that the map cannot place are kept for the report ({@link #unplaced()}).
     */
    static LdmComponentView of(StateDict file, String prefix, LdmKeyMap map, String emaPrefix) {
        Map<String, Origin> origins = new LinkedHashMap<>();
        List<String> unplaced = new ArrayList<>();
        List<String> enumerated = new ArrayList<>();
        for (String k : file.keys()) {
            if (!k.startsWith(prefix)) {
                continue;
            }
            enumerated.add(k);
            List<LdmKeyMap.Source> sources = map.fromFile(k.substring(prefix.length()));
            if (sources.isEmpty()) {
                unplaced.add(k);
                continue;
            }
            String read = emaPrefix == null ? k : emaKey(emaPrefix, k);
            for (LdmKeyMap.Source s : sources) {
                origins.put(s.diffusersKey(), new Origin(read, s.op()));
            }
        }
        return new LdmComponentView(file, origins, unplaced, enumerated);
    }

    /** LDM's EMA copy of {@code model.diffusion_model.a.b} is {@code model_ema.diffusion_modelab}. */
    static String emaKey(String emaPrefix, String key) {
        return emaPrefix + key.substring(key.indexOf('.') + 1).replace(".", "");
    }

    /** Full file keys under this component's prefix that the key map has no place for. */
    public List<String> unplaced() {
        return unplaced;
    }

    /** The file keys under this component's prefix that were mapped (an EMA view reads other names for them). */
    List<String> enumerated() {
        return enumerated.stream().filter(k -> !unplaced.contains(k)).toList();
    }

    /** The single-file key the diffusers tensor {@code key} is read from. */
    public String fileKey(String key) {
        return origin(key).fileKey();
    }

    @Override
    public Set<String> keys() {
        return origins.keySet();
    }

    @Override
    public TensorSpec spec(String key) {
        Origin o = origin(key);
        TensorSpec s = file.spec(o.fileKey());
        Shape d = o.op().diffusersShape(s.shape());
        // a shape the op cannot split is passed through: the model's shape check then names the key
        return new TensorSpec(s.dtype(), d == null ? s.shape() : d);
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        Origin o = origin(key);
        if (o.op().kind() == KeyOp.Kind.COPY) {
            return file.load(o.fileKey(), manager);
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDArray whole = file.load(o.fileKey(), tmp);
            NDArray part = o.op().toDiffusers(whole);
            part.attach(manager);
            part.setName(key);
            return part;
        }
    }

    private Origin origin(String key) {
        Origin o = origins.get(key);
        if (o == null) {
            throw new IllegalArgumentException("no tensor named " + key);
        }
        return o;
    }
}
