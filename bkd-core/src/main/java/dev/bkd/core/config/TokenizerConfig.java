package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer folder's {@code tokenizer_config.json} merged with its {@code special_tokens_map.json}
 * (the latter wins, as in transformers 5's {@code from_pretrained}; 4.x let tokenizer_config.json win
 * when it had {@code added_tokens_decoder}). Defaults are CLIPTokenizer's.
 *
 * @param tokenizerClass {@code tokenizer_class}, null when absent
 * @param bosToken content of {@code bos_token}
 * @param eosToken content of {@code eos_token}
 * @param padToken content of {@code pad_token}
 * @param unkToken content of {@code unk_token}
 * @param modelMaxLength {@code model_max_length}; null when absent or "unbounded" (transformers writes 1e30)
 * @param addedTokens {@code added_tokens_decoder} entries, sorted by id (empty for older files)
 * @param extras fields of tokenizer_config.json bkd does not interpret, kept for saving
 */
public record TokenizerConfig(
        String tokenizerClass,
        String bosToken,
        String eosToken,
        String padToken,
        String unkToken,
        Integer modelMaxLength,
        List<AddedToken> addedTokens,
        ObjectNode extras) {

    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

    public static final String DEFAULT_BOS = "<|startoftext|>";
    public static final String DEFAULT_EOS = "<|endoftext|>";

    /** One entry of {@code added_tokens_decoder}, with the flags the tokenizers library understands. */
    public record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                             boolean normalized, boolean singleWord) {}

    public TokenizerConfig {
        addedTokens = List.copyOf(addedTokens);
    }

    /** CLIPTokenizer's class defaults. */
    public static TokenizerConfig defaults() {
        return new TokenizerConfig(null, DEFAULT_BOS, DEFAULT_EOS, DEFAULT_EOS, DEFAULT_EOS, null, List.of(),
                ConfigReader.MAPPER.createObjectNode());
    }

    /** Reads both files from {@code dir}; either may be missing (then its values are the defaults). */
    public static TokenizerConfig load(Path dir) {
        ConfigReader cfg = readOrEmpty(dir.resolve(TOKENIZER_CONFIG));
        ConfigReader map = readOrEmpty(dir.resolve(SPECIAL_TOKENS_MAP));
        TokenizerConfig d = defaults();
        return new TokenizerConfig(cfg.getString("tokenizer_class", null),
                special(cfg, map, "bos_token", d.bosToken()),
                special(cfg, map, "eos_token", d.eosToken()),
                special(cfg, map, "pad_token", d.padToken()),
                special(cfg, map, "unk_token", d.unkToken()),
                maxLength(cfg), addedTokens(cfg), cfg.extras());
    }

    /** A missing file reads as an empty object: every value takes its default. */
    private static ConfigReader readOrEmpty(Path file) {
        return Files.exists(file) ? ConfigReader.read(file)
                : new ConfigReader(file.getFileName().toString(), ConfigReader.MAPPER.createObjectNode());
    }

    /** special_tokens_map.json overrides tokenizer_config.json. */
    private static String special(ConfigReader cfg, ConfigReader map, String field, String def) {
        String fromConfig = tokenContent(cfg, field);
        String fromMap = tokenContent(map, field);
        return fromMap != null ? fromMap : fromConfig != null ? fromConfig : def;
    }

    /** A special token is written either as a string or as an AddedToken object with {@code content}. */
    private static String tokenContent(ConfigReader r, String field) {
        JsonNode v = r.raw(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return v.get("content").asText();
        }
        throw r.error(field, "must be a token string or an object with a string `content`, found " + v);
    }

    private static Integer maxLength(ConfigReader r) {
        JsonNode v = r.raw("model_max_length");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw r.error("model_max_length", "must be a number, found " + v);
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            if (v.asInt() < 2) {
                throw r.error("model_max_length", "must be at least 2 (room for BOS and EOS), found " + v);
            }
            return v.asInt();
        }
        if (v.asDouble() > Integer.MAX_VALUE) {
            return null; // transformers' VERY_LARGE_INTEGER: no limit given
        }
        throw r.error("model_max_length", "must be an integer, found " + v);
    }

    private static List<AddedToken> addedTokens(ConfigReader r) {
        String field = "added_tokens_decoder";
        JsonNode v = r.raw(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isObject()) {
            throw r.error(field, "must be an object {\"id\": {\"content\": ...}}, found " + v.getNodeType());
        }
        List<AddedToken> out = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw r.error(field, "has key \"" + e.getKey() + "\" that is not a token id");
            }
            JsonNode t = e.getValue();
            if (id < 0 || !t.isObject() || !t.path("content").isTextual()) {
                throw r.error(field, "entry \"" + e.getKey() + "\" must be a non-negative id mapping to an"
                        + " object with a string `content`, found " + t);
            }
            boolean special = t.path("special").asBoolean(false);
            // transformers' AddedToken default: special tokens are matched on the raw text
            out.add(new AddedToken(id, t.get("content").asText(), special,
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(!special), t.path("single_word").asBoolean(false)));
        }
        out.sort(Comparator.comparingInt(AddedToken::id));
        return out;
    }
}
