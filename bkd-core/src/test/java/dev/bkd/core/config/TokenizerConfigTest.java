package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsTheSd1TokenizerFolder() {
        TokenizerConfig c = TokenizerConfig.load(RefData.models().resolve("tokenizer"));
        assertEquals("CLIPTokenizer", c.tokenizerClass());
        assertEquals("<|startoftext|>", c.bosToken());
        assertEquals("<|endoftext|>", c.eosToken());
        assertEquals("<|endoftext|>", c.padToken());
        assertEquals("<|endoftext|>", c.unkToken());
        assertEquals(77, c.modelMaxLength());
        assertEquals(List.of(), c.addedTokens());
        // fields bkd does not interpret survive for saving
        assertTrue(c.extras().has("do_lower_case"));
        assertTrue(c.extras().has("errors"));
    }

    @Test
    void missingFilesGiveClipDefaults() {
        TokenizerConfig c = TokenizerConfig.load(dir);
        assertEquals(TokenizerConfig.defaults(), c);
        assertEquals("<|endoftext|>", c.padToken());
        assertNull(c.modelMaxLength());
    }

    @Test
    void specialTokensMapWinsAndObjectFormIsRead() throws IOException {
        write("tokenizer_config.json", """
                {"pad_token": "<|endoftext|>", "model_max_length": 77,
                 "bos_token": {"__type": "AddedToken", "content": "<|startoftext|>", "normalized": true}}""");
        write("special_tokens_map.json", """
                {"pad_token": "!", "eos_token": {"content": "<|endoftext|>", "lstrip": false}}""");
        TokenizerConfig c = TokenizerConfig.load(dir);
        assertEquals("!", c.padToken());
        assertEquals("<|startoftext|>", c.bosToken());
        assertEquals("<|endoftext|>", c.eosToken());
    }

    @Test
    void addedTokensDecoderIsSortedWithTransformersDefaults() throws IOException {
        write("tokenizer_config.json", """
                {"added_tokens_decoder": {
                   "49408": {"content": "<cat-toy>", "special": false},
                   "49407": {"content": "<|endoftext|>", "special": true, "normalized": true, "lstrip": false}}}""");
        List<TokenizerConfig.AddedToken> t = TokenizerConfig.load(dir).addedTokens();
        assertEquals(List.of(
                new TokenizerConfig.AddedToken(49407, "<|endoftext|>", true, false, false, true, false),
                new TokenizerConfig.AddedToken(49408, "<cat-toy>", false, false, false, true, false)), t);
    }

    @Test
    void unboundedModelMaxLengthIsNull() throws IOException {
        write("tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}");
        assertNull(TokenizerConfig.load(dir).modelMaxLength());
    }

    @Test
    void badValuesNameFileAndField() throws IOException {
        write("tokenizer_config.json", "{\"pad_token\": 5}");
        ConfigException e = assertThrows(ConfigException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json: field `pad_token`"), e.getMessage());

        write("tokenizer_config.json", "{\"model_max_length\": \"77\"}");
        e = assertThrows(ConfigException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("field `model_max_length` must be a number"), e.getMessage());

        write("tokenizer_config.json", "{\"model_max_length\": 1}");
        e = assertThrows(ConfigException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("field `model_max_length` must be at least 2"), e.getMessage());

        write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"x\": {\"content\": \"a\"}}}");
        e = assertThrows(ConfigException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("`added_tokens_decoder` has key \"x\""), e.getMessage());

        write("tokenizer_config.json", "{}");
        write("special_tokens_map.json", "{\"bos_token\": ");
        e = assertThrows(ConfigException.class, () -> TokenizerConfig.load(dir));
        assertTrue(e.getMessage().contains("special_tokens_map.json: invalid JSON at line 1"), e.getMessage());
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }
}
