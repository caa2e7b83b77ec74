package dev.bkd.models.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.testing.RefData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordVocabularyTest {
    @TempDir
    Path tmp;

    private static final List<String> WORDS = List.of("a", "on", "background", "circle", "square", "triangle", "red",
            "green", "blue", "yellow", "white");

    @Test
    void byteSymbolsHaveOpenaiClipsIds() {
        // the first 512 entries of openai CLIP's vocabulary (the reference tokenizer) are the byte symbols and
        // their end-of-word forms; ours must use the same ids
        Map<String, Integer> real = BpeVocabulary.read(RefData.models().resolve("tokenizer")).vocab();
        Map<String, Integer> ours = WordVocabulary.build(WORDS).vocab();
        int checked = 0;
        for (Map.Entry<String, Integer> e : ours.entrySet()) {
            if (e.getValue() < 512) {
                assertEquals(real.get(e.getKey()), e.getValue(), e.getKey());
                checked++;
            }
        }
        assertEquals(512, checked);
        assertEquals(320, ours.get("a</w>"), "SD prompts start with 49406, 320 (\"a\")");
    }

    @Test
    void everyWordIsOneTokenAndOtherTextFallsBackToBytes() throws Exception {
        BpeVocabulary v = WordVocabulary.build(WORDS);
        Path dir = tmp.resolve("tokenizer");
        WordVocabulary.write(v, 16, dir);
        try (ClipTokenizer tok = ClipTokenizer.fromPretrained(dir)) {
            assertEquals(16, tok.modelMaxLength());
            assertEquals(List.of("a</w>", "yellow</w>", "triangle</w>", "on</w>", "a</w>", "green</w>",
                    "background</w>"), tok.tokens("a Yellow triangle on a green background"));
            int[] ids = tok.encode("a red circle");
            int size = v.vocab().size();
            assertEquals(16, ids.length);
            assertEquals(size - 2, ids[0], "<|startoftext|> comes after the merges");
            assertEquals(320, ids[1]);
            assertEquals(v.vocab().get("red</w>"), ids[2]);
            assertEquals(size - 1, ids[4], "<|endoftext|> ends and pads");
            assertEquals(size - 1, ids[15]);
            // "purple" has no merges: one symbol per letter, the last marked end-of-word
            assertEquals(List.of("p", "u", "r", "p", "l", "e</w>"), tok.tokens("purple"));
        }
    }

    @Test
    void mergesAreReadBackByTheStrictReader() {
        BpeVocabulary v = WordVocabulary.build(WORDS);
        // "green" must not be blocked by the earlier "r e" merge of "red": its own merges extend the path
        assertEquals(List.of("green</w>"), WordVocabulary.apply(List.of("g", "r", "e", "e", "n</w>"), v.merges()));
        assertThrows(TokenizerException.class, () -> WordVocabulary.build(List.of("two words")));
    }
}
