package dev.bkd.train.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.DataPosition;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The non-tensor part of a checkpoint ({@code trainer_state.json}): optimizer step, data position, generator
 * states by name (noise, timesteps...), and anything else the loop wants back ({@code extra}: EMA step, ...).
 */
public record TrainerState(long step, DataPosition data, Map<String, Generator.State> rng, ObjectNode extra) {
    public TrainerState {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        rng = Collections.unmodifiableMap(new LinkedHashMap<>(rng));
        extra = extra == null ? ConfigReader.MAPPER.createObjectNode() : extra.deepCopy();
    }

    /** A state with no RNGs and no extras. */
    public static TrainerState of(long step, DataPosition data) {
        return new TrainerState(step, data, Map.of(), null);
    }

    /** The same state plus {@code generator}'s current state under {@code name}. */
    public TrainerState withRng(String name, Generator generator) {
        Map<String, Generator.State> r = new LinkedHashMap<>(rng);
        r.put(name, generator.state());
        return new TrainerState(step, data, r, extra);
    }

    /** The same state plus an extra field. */
    public TrainerState withExtra(String key, JsonNode value) {
        ObjectNode e = extra.deepCopy();
        e.set(key, value);
        return new TrainerState(step, data, rng, e);
    }

    /** Restores {@code generator} from the state saved under {@code name}; a missing name is an error. */
    public void restoreRng(String name, Generator generator, String source) {
        Generator.State s = rng.get(name);
        if (s == null) {
            throw new CheckpointException(source + ": no RNG state `" + name + "` (saved: " + rng.keySet() + ")");
        }
        generator.restore(s);
    }

    ObjectNode toJson() {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        n.put("step", step);
        ObjectNode d = n.putObject("data");
        d.put("epoch", data.epoch());
        d.put("index", data.index());
        ObjectNode r = n.putObject("rng");
        rng.forEach((k, v) -> r.put(k, v.toString()));
        n.set("extra", extra);
        return n;
    }

    static TrainerState fromJson(ConfigReader cfg) {
        long step = nonNegativeLong(cfg, "step", cfg.raw("step"));
        JsonNode d = cfg.raw("data");
        if (d == null || !d.isObject()) {
            throw cfg.error("data", "must be an object with epoch and index");
        }
        DataPosition pos = new DataPosition(nonNegativeLong(cfg, "data.epoch", d.get("epoch")),
                nonNegativeLong(cfg, "data.index", d.get("index")));
        Map<String, Generator.State> rng = new LinkedHashMap<>();
        JsonNode r = cfg.raw("rng");
        if (r != null && !r.isNull()) {
            if (!r.isObject()) {
                throw cfg.error("rng", "must be an object of generator states");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                rng.put(e.getKey(), Generator.State.parse(e.getValue().asText(null), cfg.label() + " rng." + e.getKey()));
            }
        }
        JsonNode extra = cfg.raw("extra");
        if (extra != null && !extra.isNull() && !extra.isObject()) {
            throw cfg.error("extra", "must be an object");
        }
        return new TrainerState(step, pos, rng, extra == null || extra.isNull() ? null : (ObjectNode) extra);
    }

    private static long nonNegativeLong(ConfigReader cfg, String field, JsonNode v) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw cfg.error(field, "must be an integer >= 0, found " + v);
        }
        return v.asLong();
    }
}
