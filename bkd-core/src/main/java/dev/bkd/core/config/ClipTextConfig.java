package dev.bkd.core.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * transformers {@code CLIPTextConfig} ({@code text_encoder/config.json}). Defaults are the transformers
 * class defaults (openai/clip-vit-base-patch32 text tower, eos 49407), not SD's file values (SD1.x ships
 * the legacy eos_token_id 2). Unknown fields are kept in {@link #extras()} and written back.
 */
public record ClipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int projectionDim,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        double layerNormEps,
        double attentionDropout,
        double initializerRange,
        double initializerFactor,
        int padTokenId,
        int bosTokenId,
        int eosTokenId,
        ObjectNode extras) {

    public static final String MODEL_TYPE = "clip_text_model";

    public ClipTextConfig {
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    public static ClipTextConfig defaults() {
        return new ClipTextConfig(49408, 512, 2048, 512, 12, 8, 77, "quick_gelu", 1e-5, 0.0, 0.02, 1.0,
                1, 49406, 49407, null);
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public static ClipTextConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static ClipTextConfig from(ConfigReader r) {
        ClipTextConfig d = defaults();
        r.requireOneOf("model_type", MODEL_TYPE);
        int vocab = ConfigChecks.positiveInt(r, "vocab_size", d.vocabSize);
        int hidden = ConfigChecks.positiveInt(r, "hidden_size", d.hiddenSize);
        int inter = ConfigChecks.positiveInt(r, "intermediate_size", d.intermediateSize);
        int proj = ConfigChecks.positiveInt(r, "projection_dim", d.projectionDim);
        int layers = ConfigChecks.positiveInt(r, "num_hidden_layers", d.numHiddenLayers);
        int heads = ConfigChecks.positiveInt(r, "num_attention_heads", d.numAttentionHeads);
        if (hidden % heads != 0) {
            throw r.error("num_attention_heads", "= " + heads + " does not divide `hidden_size` = " + hidden);
        }
        int positions = ConfigChecks.positiveInt(r, "max_position_embeddings", d.maxPositionEmbeddings);
        r.requireOneOf("hidden_act", "quick_gelu", "gelu");
        String act = r.getString("hidden_act", d.hiddenAct);
        double eps = r.getDouble("layer_norm_eps", d.layerNormEps);
        if (!(eps > 0)) {
            throw r.error("layer_norm_eps", "must be a positive number, found " + eps);
        }
        double dropout = r.getDouble("attention_dropout", d.attentionDropout);
        double range = r.getDouble("initializer_range", d.initializerRange);
        double factor = r.getDouble("initializer_factor", d.initializerFactor);
        int pad = r.getInt("pad_token_id", d.padTokenId);
        int bos = r.getInt("bos_token_id", d.bosTokenId);
        int eos = r.getInt("eos_token_id", d.eosTokenId);
        return new ClipTextConfig(vocab, hidden, inter, proj, layers, heads, positions, act, eps, dropout, range,
                factor, pad, bos, eos, r.extras());
    }

    public void save(Path file) {
        ObjectNode o = extras.deepCopy();
        if (!o.has("architectures")) {
            o.set("architectures", ConfigWriter.strings(java.util.List.of("CLIPTextModel")));
        }
        o.put("model_type", MODEL_TYPE);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("projection_dim", projectionDim);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("hidden_act", hiddenAct);
        o.put("layer_norm_eps", layerNormEps);
        o.put("attention_dropout", attentionDropout);
        o.put("initializer_range", initializerRange);
        o.put("initializer_factor", initializerFactor);
        o.put("pad_token_id", padTokenId);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        ConfigWriter.write(file, o);
    }

}
