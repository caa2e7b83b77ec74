package dev.bkd.models.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.TokenizerConfig;
import dev.bkd.core.config.TokenizerConfig.AddedToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CLIP's tokenizer as Stable Diffusion pipelines use it (transformers' CLIPTokenizer with
 * {@code padding="max_length", truncation=True}), running on DJL's native HuggingFace tokenizers.
 * Holds a native handle: close it.
 */
public final class ClipTokenizer implements AutoCloseable {
    public static final String TOKENIZER_JSON = "tokenizer.json";
    /** CLIPTextConfig.max_position_embeddings' default; used when tokenizer_config.json sets no limit. */
    public static final int DEFAULT_MODEL_MAX_LENGTH = 77;
    private static final Set<String> CLASSES = Set.of("CLIPTokenizer", "CLIPTokenizerFast");

    private final HuggingFaceTokenizer hf;
    private final TokenizerConfig config;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final int maxLength;
    private volatile boolean closed;

    private ClipTokenizer(HuggingFaceTokenizer hf, TokenizerConfig config, int bosId, int eosId, int padId) {
        this.hf = hf;
        this.config = config;
        this.bosId = bosId;
        this.eosId = eosId;
        this.padId = padId;
        this.maxLength = config.modelMaxLength() == null ? DEFAULT_MODEL_MAX_LENGTH : config.modelMaxLength();
    }

    /**
     * Loads a tokenizer folder: {@code tokenizer.json} when present, else the CLIP definition built from
     * {@code vocab.json} + {@code merges.txt}; special tokens and {@code model_max_length} come from
     * {@code tokenizer_config.json} / {@code special_tokens_map.json}.
     */
    public static ClipTokenizer fromPretrained(Path tokenizerDir) {
        if (!Files.isDirectory(tokenizerDir)) {
            throw new TokenizerException(tokenizerDir + ": not a directory; expected a tokenizer folder with"
                    + " vocab.json and merges.txt (or tokenizer.json)");
        }
        TokenizerConfig config = TokenizerConfig.load(tokenizerDir);
        requireClip(tokenizerDir, config);
        Path jsonFile = tokenizerDir.resolve(TOKENIZER_JSON);
        String json;
        String source;
        Map<String, Integer> ids;
        List<AddedToken> added;
        if (Files.exists(jsonFile)) {
            source = ConfigReader.label(jsonFile);
            json = BpeVocabulary.readUtf8(jsonFile);
            ids = tokenizerJsonIds(source, json);
            added = List.of();
        } else {
            source = ConfigReader.label(tokenizerDir.resolve(BpeVocabulary.VOCAB_FILE));
            BpeVocabulary bpe = BpeVocabulary.read(tokenizerDir);
            ids = new HashMap<>(bpe.vocab());
            config.addedTokens().forEach(t -> ids.put(t.content(), t.id()));
            added = addedTokens(tokenizerDir, config, ids);
            json = ClipTokenizerJson.build(bpe, added, config.bosToken(), ids.get(config.bosToken()),
                    config.eosToken(), ids.get(config.eosToken()), config.unkToken());
        }
        int bos = specialId(tokenizerDir, ids, "bos_token", config.bosToken(), source);
        int eos = specialId(tokenizerDir, ids, "eos_token", config.eosToken(), source);
        int pad = specialId(tokenizerDir, ids, "pad_token", config.padToken(), source);
        HuggingFaceTokenizer hf = loadNative(json, source);
        ClipTokenizer tok = new ClipTokenizer(hf, config, bos, eos, pad);
        try {
            tok.verify(source, added);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
        return tok;
    }

    /** The padded window the text encoder sees: {@link #modelMaxLength()} ids. */
    public int[] encode(String prompt) {
        return tokenizePrompt(prompt).padded();
    }

    /** {@link #encode} for each prompt, as int64 rows ready for an (N, modelMaxLength) tensor. */
    public long[][] encodeBatch(List<String> prompts) {
        checkOpen();
        String[] texts = prompts.toArray(new String[0]);
        if (texts.length == 0) {
            return new long[0][];
        }
        for (int i = 0; i < texts.length; i++) {
            Objects.requireNonNull(texts[i], "prompt " + i + " is null");
        }
        Encoding[] encodings = hf.batchEncode(texts, true, false);
        long[][] out = new long[texts.length][];
        for (int i = 0; i < texts.length; i++) {
            out[i] = Arrays.stream(prompt(encodings[i]).padded()).asLongStream().toArray();
        }
        return out;
    }

    /** Unpadded ids with the token count and whether {@link #encode} truncates them. */
    public TokenizedPrompt tokenizePrompt(String prompt) {
        checkOpen();
        Objects.requireNonNull(prompt, "prompt");
        return prompt(hf.encode(prompt, true, false));
    }

    /** BPE tokens without BOS/EOS (transformers' {@code tokenizer.tokenize(prompt)}). */
    public List<String> tokens(String prompt) {
        checkOpen();
        Objects.requireNonNull(prompt, "prompt");
        return List.of(hf.encode(prompt, false, false).getTokens());
    }

    /**
     * Ids without BOS/EOS and without truncation (transformers' {@code tokenizer(text, truncation=False,
     * add_special_tokens=False)}), as A1111 tokenizes each weighted fragment of a prompt.
     */
    public int[] idsWithoutSpecialTokens(String text) {
        checkOpen();
        Objects.requireNonNull(text, "text");
        return Arrays.stream(hf.encode(text, false, false).getIds()).mapToInt(Math::toIntExact).toArray();
    }

    /**
     * Long-prompt mode (opt-in; {@link #encode} truncates): see {@link TokenizedPrompt#chunks(int)}.
     */
    public int[][] encodeChunks(String prompt, int minChunks) {
        return tokenizePrompt(prompt).chunks(minChunks);
    }

    public int[][] encodeChunks(String prompt) {
        return encodeChunks(prompt, 1);
    }

    public int padTokenId() {
        return padId;
    }

    public int bosTokenId() {
        return bosId;
    }

    public int eosTokenId() {
        return eosId;
    }

    public int modelMaxLength() {
        return maxLength;
    }

    public TokenizerConfig config() {
        return config;
    }

    @Override
    public void close() {
        closed = true;
        hf.close();
    }

    private TokenizedPrompt prompt(Encoding e) {
        long[] raw = e.getIds();
        int[] ids = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            ids[i] = Math.toIntExact(raw[i]);
        }
        return new TokenizedPrompt(ids, bosId, eosId, padId, maxLength);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("ClipTokenizer is closed");
        }
    }

    /** The loaded definition must wrap text in BOS/EOS and map every added token to its own id. */
    private void verify(String source, List<AddedToken> added) {
        long[] empty = hf.encode("", true, false).getIds();
        if (!Arrays.equals(empty, new long[] {bosId, eosId})) {
            throw new TokenizerException(source + ": an empty prompt encodes to " + Arrays.toString(empty)
                    + ", expected [bos " + bosId + ", eos " + eosId + "]: the post_processor must add"
                    + " BOS and EOS");
        }
        for (AddedToken t : added) {
            long[] got = hf.encode(t.content(), false, false).getIds();
            if (!Arrays.equals(got, new long[] {t.id()})) {
                throw new TokenizerException(source + ": added token \"" + t.content() + "\" encodes to "
                        + Arrays.toString(got) + " instead of its id " + t.id());
            }
        }
    }

    private static void requireClip(Path dir, TokenizerConfig config) {
        String cls = config.tokenizerClass();
        if (cls != null && !CLASSES.contains(cls)) {
            throw new ConfigException(ConfigReader.label(dir.resolve(TokenizerConfig.TOKENIZER_CONFIG))
                    + ": field `tokenizer_class` = \"" + cls + "\" is not supported by bkd (supported: "
                    + "\"CLIPTokenizer\", \"CLIPTokenizerFast\")");
        }
    }

    /**
     * As in transformers: added_tokens_decoder entries, plus every special token (bos, eos, unk, pad) as a
     * special added token matched on the raw text. Note that SD2's pad token "!" is thereby split out of
     * prompts as id 0, exactly as transformers does.
     */
    private static List<AddedToken> addedTokens(Path dir, TokenizerConfig config, Map<String, Integer> ids) {
        List<AddedToken> out = new ArrayList<>(config.addedTokens());
        Set<String> seen = new LinkedHashSet<>();
        out.forEach(t -> seen.add(t.content()));
        String[][] specials = {
            {"bos_token", config.bosToken()}, {"eos_token", config.eosToken()},
            {"unk_token", config.unkToken()}, {"pad_token", config.padToken()}};
        for (String[] s : specials) {
            if (seen.add(s[1])) {
                int id = specialId(dir, ids, s[0], s[1], BpeVocabulary.VOCAB_FILE);
                out.add(new AddedToken(id, s[1], true, false, false, false, false));
            }
        }
        return out;
    }

    private static int specialId(Path dir, Map<String, Integer> ids, String field, String token, String source) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new ConfigException(ConfigReader.label(dir.resolve(TokenizerConfig.TOKENIZER_CONFIG)) + " / "
                    + TokenizerConfig.SPECIAL_TOKENS_MAP + ": `" + field + "` = \"" + token
                    + "\" is not a token of " + source);
        }
        return id;
    }

    /** Token ids of a tokenizer.json: its model vocabulary plus its added tokens. */
    private static Map<String, Integer> tokenizerJsonIds(String label, String json) {
        JsonNode root;
        try {
            root = ConfigReader.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new TokenizerException(label + ": invalid JSON at line " + e.getLocation().getLineNr()
                    + ": " + e.getOriginalMessage(), e);
        }
        JsonNode vocab = root == null ? null : root.path("model").path("vocab");
        if (vocab == null || !vocab.isObject()) {
            throw new TokenizerException(label + ": no `model.vocab` object (expected a BPE tokenizer)");
        }
        Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
        vocab.fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
        for (JsonNode t : root.path("added_tokens")) {
            ids.put(t.path("content").asText(), t.path("id").asInt());
        }
        return ids;
    }

    private static HuggingFaceTokenizer loadNative(String json, String source) {
        // bkd truncates and pads itself, so the native side must not
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        try (InputStream in = new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (LinkageError e) {
            throw new TokenizerException("cannot load DJL's native tokenizers library (needed for " + source
                    + "): " + e, e);
        } catch (RuntimeException e) {
            throw new TokenizerException(source + ": the tokenizers library rejected the tokenizer: "
                    + e.getMessage(), e);
        }
    }
}
