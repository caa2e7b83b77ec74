package dev.bkd.core.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * transformers {@code CLIPTextConfig} ({@code text_encoder/config.json}). Defaults are the transformers
 * class defaults (openai/clip-vit-base-patch32 text tower, eos 49407), not SD's file values (SD1.x ships
 * the legacy eos_token_id 2). Unknown fields are kept in {@link #extras()} and written back.
 */
public record ClipTextConfig(
        int vocabSize, int hiddenSize, int intermediateSize, int projectionDim, int numHiddenLayers,
        int numAttentionHeads, int maxPositionEmbeddings, String hiddenAct, double layerNormEps,
        double attentionDropout, double initializerRange, double initializerFactor, int padTokenId, int bosTokenId,
        int eosTokenId, ObjectNode extras) {

    public static final String MODEL_TYPE = "clip_text_model";

    /** The fields in reading order, each checked as it is read. */
    private static final FieldTable<ClipTextConfig> FIELDS = new FieldTable<>(ClipTextConfig.class,
            Field.size("vocab_size", 49408),
            Field.size("hidden_size", 512),
            Field.size("intermediate_size", 2048),
            Field.size("projection_dim", 512),
            Field.size("num_hidden_layers", 12),
            heads(8),
            Field.size("max_position_embeddings", 77),
            activation(),
            Field.positive("layer_norm_eps", 1e-5),
            Field.real("attention_dropout", 0.0),
            Field.real("initializer_range", 0.02),
            Field.real("initializer_factor", 1.0),
            Field.integer("pad_token_id", 1),
            Field.integer("bos_token_id", 49406),
            Field.integer("eos_token_id", 49407));

    public ClipTextConfig {
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    public static ClipTextConfig defaults() {
        return from(new ConfigReader(MODEL_TYPE, ConfigReader.MAPPER.createObjectNode()));
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public static ClipTextConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static ClipTextConfig from(ConfigReader r) {
        r.requireOneOf("model_type", MODEL_TYPE);
        Map<String, Object> values = FIELDS.read(r, false);
        values.put("extras", r.extras());
        return FIELDS.build(values);
    }

    public void save(Path file) {
        ObjectNode o = extras.deepCopy();
        if (!o.has("architectures")) {
            o.set("architectures", Field.json(List.of("CLIPTextModel")));
        }
        o.put("model_type", MODEL_TYPE);
        o.setAll(FIELDS.write(this));
        ConfigWriter.write(file, o);
    }

    /** {@code num_attention_heads}: at least 1 and dividing {@code hidden_size} (read before it). */
    static Field heads(int def) {
        return Field.size("num_attention_heads", def).must((r, k, v, b) -> {
            if ((int) b.get("hidden_size") % (int) v != 0) {
                throw r.error(k, "= " + v + " does not divide `hidden_size` = " + b.get("hidden_size"));
            }
        });
    }

    /** The activations bkd's CLIP towers implement. */
    static Field activation() {
        return Field.oneOf("hidden_act", "quick_gelu", "quick_gelu", "gelu");
    }
}
