package dev.bkd.models.tokenizer;

import static dev.bkd.models.tokenizer.ClipTokenizerRefTest.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.TokenizerConfig;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Other tokenizer folders: SD2-style padding, tokenizer.json, lengths at the limit, and broken files. */
class ClipTokenizerFolderTest {
    static final Path SD1 = RefData.models().resolve("tokenizer");
    static List<JsonNode> prompts;

    @TempDir
    Path dir;

    @BeforeAll
    static void readRef() throws IOException {
        prompts = new ArrayList<>();
        new ObjectMapper().readTree(RefData.ref("tokenizer_ref.json").toFile()).get("prompts").forEach(prompts::add);
    }

    /** SD2.x ships pad_token "!" (id 0): padding must then equal openai's clip.tokenize, which pads with 0. */
    @Test
    void sd2PadTokenPadsWithZero() throws IOException {
        copySd1();
        Files.writeString(dir.resolve(TokenizerConfig.SPECIAL_TOKENS_MAP), """
                {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!",
                 "unk_token": "<|endoftext|>"}""");
        int compared = 0;
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(dir)) {
            assertEquals(0, tok.padTokenId());
            assertEquals(49407, tok.eosTokenId());
            for (JsonNode p : prompts) {
                String text = p.get("text").asText();
                // "!" is a special token in this folder (transformers splits it out), so skip prompts holding it
                if (p.get("hf_equals_openai").asBoolean() && !text.contains("!")) {
                    assertArrayEquals(ints(p.get("openai_tokenize_77")), tok.encode(text), text);
                    compared++;
                }
            }
        }
        assertTrue(compared >= 20, "compared " + compared);
    }

    @Test
    void tokenizerJsonIsUsedWhenPresent() throws IOException {
        BpeVocabulary bpe = BpeVocabulary.read(SD1);
        String json = ClipTokenizerJson.build(bpe, List.of(
                new TokenizerConfig.AddedToken(49406, "<|startoftext|>", true, false, false, true, false),
                new TokenizerConfig.AddedToken(49407, "<|endoftext|>", true, false, false, true, false)),
                "<|startoftext|>", 49406, "<|endoftext|>", 49407, "<|endoftext|>");
        Files.writeString(dir.resolve("tokenizer.json"), json);
        Files.copy(SD1.resolve(TokenizerConfig.TOKENIZER_CONFIG), dir.resolve(TokenizerConfig.TOKENIZER_CONFIG));
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(dir)) { // no vocab.json / merges.txt here
            for (JsonNode p : prompts) {
                String text = p.get("text").asText();
                assertArrayEquals(ints(p.get("hf_input_ids_77")), tok.encode(text), text);
            }
        }
    }

    /** A textual-inversion style token declared in added_tokens_decoder gets the id the file gives it. */
    @Test
    void addedTokensDecoderTokensKeepTheirIds() throws IOException {
        copySd1();
        Files.writeString(dir.resolve(TokenizerConfig.TOKENIZER_CONFIG), """
                {"model_max_length": 77, "tokenizer_class": "CLIPTokenizer", "added_tokens_decoder": {
                  "49406": {"content": "<|startoftext|>", "special": true, "normalized": true},
                  "49407": {"content": "<|endoftext|>", "special": true, "normalized": true},
                  "49408": {"content": "<cat-toy>", "special": false, "normalized": true}}}""");
        int[] photo = ints(prompts.get(0).get("hf_input_ids")); // "a photo of ...": a=320, photo=1125
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(dir)) {
            assertArrayEquals(new int[] {photo[0], photo[1], 49408, photo[2], photo[photo.length - 1]},
                    tok.tokenizePrompt("a <cat-toy> photo").ids());
        }
    }

    @Test
    void exactlyModelMaxLengthIsNotTruncated() throws IOException {
        JsonNode words = prompts.stream().filter(p -> p.get("text").asText().startsWith("word word"))
                .findFirst().orElseThrow();
        int word = words.get("hf_input_ids").get(1).asInt();
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(SD1)) {
            TokenizedPrompt fits = tok.tokenizePrompt("word ".repeat(75));
            assertEquals(77, fits.tokenCount());
            assertFalse(fits.truncated());
            assertEquals(1, fits.chunks(1).length);
            int[] expected = new int[77];
            Arrays.fill(expected, word);
            expected[0] = 49406;
            expected[76] = 49407;
            assertArrayEquals(expected, fits.padded());

            TokenizedPrompt over = tok.tokenizePrompt("word ".repeat(76));
            assertTrue(over.truncated());
            assertEquals(1, over.truncatedTokenCount());
            assertArrayEquals(expected, over.padded());
            int[][] chunks = over.chunks(1);
            assertEquals(2, chunks.length);
            assertArrayEquals(new int[] {49406, word, 49407, 49407}, Arrays.copyOf(chunks[1], 4));
        }
    }

    @Test
    void closedTokenizerRefusesWork() {
        ClipTokenizer tok = ClipTokenizer.fromPretrained(SD1);
        tok.close();
        tok.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> tok.encode("a"));
    }

    @Test
    void missingVocabOrMergesNamesTheFile() throws IOException {
        copySd1();
        Files.delete(dir.resolve("vocab.json"));
        expect(TokenizerException.class, "tokenizer", "vocab.json: file not found");

        copySd1();
        Files.delete(dir.resolve("merges.txt"));
        expect(TokenizerException.class, "tokenizer", "merges.txt: file not found");
    }

    @Test
    void malformedMergesLineNamesFileAndLine() throws IOException {
        copySd1();
        editMerges(3, "t h x"); // line 1 is the #version header
        expect(TokenizerException.class, "merges.txt line 3", "expected two tokens separated by one space",
                "t h x");

        copySd1();
        editMerges(5, "");
        expect(TokenizerException.class, "merges.txt line 5", "found \"\"");

        copySd1();
        editMerges(4, "qq\u00e9\u00e9 n");
        expect(TokenizerException.class, "merges.txt line 4", "not in vocab.json");
    }

    @Test
    void brokenVocabNamesTheFile() throws IOException {
        copySd1();
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0,\n \"b\": }");
        expect(TokenizerException.class, "vocab.json: invalid JSON at line 2");

        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": \"one\"}");
        expect(TokenizerException.class, "vocab.json: token \"b\" must map to a non-negative integer id");

        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 0}");
        expect(TokenizerException.class, "vocab.json: tokens \"a\" and \"b\" have the same id 0");
    }

    @Test
    void unknownSpecialTokenOrClassIsAConfigError() throws IOException {
        copySd1();
        Files.writeString(dir.resolve(TokenizerConfig.SPECIAL_TOKENS_MAP), "{\"pad_token\": \"<pad>\"}");
        expect(ConfigException.class, "tokenizer_config.json / special_tokens_map.json", "`pad_token` = \"<pad>\"",
                "vocab.json");

        copySd1();
        Files.writeString(dir.resolve(TokenizerConfig.TOKENIZER_CONFIG), "{\"tokenizer_class\": \"T5TokenizerFast\"}");
        expect(ConfigException.class, "tokenizer_config.json: field `tokenizer_class` = \"T5TokenizerFast\"");
    }

    @Test
    void brokenTokenizerJsonNamesTheFile() throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        expect(TokenizerException.class, "tokenizer.json: invalid JSON");

        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": "
                + "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1}, \"merges\": [\"a\"]}}");
        expect(TokenizerException.class, "tokenizer.json: the tokenizers library rejected the tokenizer");
    }

    @Test
    void notADirectory() {
        BkdException e = assertThrows(BkdException.class,
                () -> ClipTokenizer.fromPretrained(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("nope: not a directory"), e.getMessage());
    }

    private void expect(Class<? extends BkdException> type, String... parts) {
        Executable load = () -> ClipTokenizer.fromPretrained(dir).close();
        BkdException e = assertThrows(type, load);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "missing '" + part + "' in: " + e.getMessage());
        }
    }

    private void copySd1() throws IOException {
        for (String f : List.of("vocab.json", "merges.txt", TokenizerConfig.TOKENIZER_CONFIG,
                TokenizerConfig.SPECIAL_TOKENS_MAP)) {
            Files.copy(SD1.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Replaces 1-based line {@code line} of merges.txt. */
    private void editMerges(int line, String text) throws IOException {
        Path merges = dir.resolve("merges.txt");
        List<String> lines = new ArrayList<>(Files.readAllLines(merges));
        lines.set(line - 1, text);
        Files.write(merges, lines);
    }
}
