package dev.bkd.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every prompt of ref/tokenizer_ref.json (transformers 5.17 CLIPTokenizer) through the SD1.x folder. */
class ClipTokenizerRefTest {
    static ClipTokenizer tok;
    static List<JsonNode> prompts;
    static Map<Integer, String> idToToken;

    @BeforeAll
    static void load() throws IOException {
        ObjectMapper m = new ObjectMapper();
        JsonNode ref = m.readTree(RefData.ref("tokenizer_ref.json").toFile());
        prompts = new ArrayList<>();
        ref.get("prompts").forEach(prompts::add);
        assertEquals(ref.path("summary").path("prompts").asInt(), prompts.size());
        idToToken = new HashMap<>();
        JsonNode vocab = m.readTree(RefData.models().resolve("tokenizer/vocab.json").toFile());
        Iterator<Map.Entry<String, JsonNode>> it = vocab.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            idToToken.put(e.getValue().asInt(), e.getKey());
        }
        tok = ClipTokenizer.fromPretrained(RefData.models().resolve("tokenizer"));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void configValuesOfTheSd1Folder() {
        assertEquals(77, tok.modelMaxLength());
        assertEquals(49407, tok.padTokenId());
        assertEquals(49406, tok.bosTokenId());
        assertEquals(49407, tok.eosTokenId());
    }

    @Test
    void paddedIdsEqualTransformers() {
        for (JsonNode p : prompts) {
            String text = p.get("text").asText();
            assertArrayEquals(ints(p.get("hf_input_ids_77")), tok.encode(text), text);
        }
    }

    @Test
    void unpaddedIdsCountAndTruncationEqualTransformers() {
        int truncatedPrompts = 0;
        for (JsonNode p : prompts) {
            String text = p.get("text").asText();
            int[] hf = ints(p.get("hf_input_ids"));
            TokenizedPrompt t = tok.tokenizePrompt(text);
            assertArrayEquals(hf, t.ids(), text);
            assertArrayEquals(ints(p.get("tokenizers_json_ids")), t.ids(), text);
            assertEquals(hf.length, t.tokenCount(), text);
            assertEquals(hf.length > 77, t.truncated(), text);
            assertEquals(Math.max(0, hf.length - 77), t.truncatedTokenCount(), text);
            truncatedPrompts += t.truncated() ? 1 : 0;
        }
        assertEquals(2, truncatedPrompts, "the reference holds two prompts over 77 tokens");
    }

    @Test
    void tokensAreTheVocabEntriesOfTheIds() {
        for (JsonNode p : prompts) {
            String text = p.get("text").asText();
            int[] hf = ints(p.get("hf_input_ids"));
            List<String> expected = new ArrayList<>();
            for (int i = 1; i < hf.length - 1; i++) {
                expected.add(idToToken.get(hf[i]));
            }
            assertEquals(expected, tok.tokens(text), text);
            if (p.get("hf_equals_openai").asBoolean() && !text.contains("<|")) {
                // openai's own BPE, an independent implementation
                List<String> openai = new ArrayList<>();
                p.get("openai_bpe_tokens").forEach(n -> openai.add(n.asText()));
                assertEquals(openai, tok.tokens(text), text);
            }
        }
    }

    @Test
    void batchEqualsTransformersRowByRow() {
        List<String> texts = new ArrayList<>();
        prompts.forEach(p -> texts.add(p.get("text").asText()));
        assertEquals(0, tok.encodeBatch(List.of()).length);
        long[][] batch = tok.encodeBatch(texts);
        assertEquals(prompts.size(), batch.length);
        for (int i = 0; i < batch.length; i++) {
            long[] expected = new long[77];
            JsonNode row = prompts.get(i).get("hf_input_ids_77");
            for (int j = 0; j < 77; j++) {
                expected[j] = row.get(j).asLong();
            }
            assertArrayEquals(expected, batch[i], texts.get(i));
        }
    }

    @Test
    void longPromptsChunkIntoWindowsOf75() {
        int bos = 49406;
        int eos = 49407;
        int pad = 49407;
        for (JsonNode p : prompts) {
            int[] hf = ints(p.get("hf_input_ids"));
            int content = hf.length - 2;
            int[][] chunks = tok.encodeChunks(p.get("text").asText());
            assertEquals(Math.max(1, (content + 74) / 75), chunks.length);
            if (content <= 75) {
                assertArrayEquals(ints(p.get("hf_input_ids_77")), chunks[0]);
                continue;
            }
            // the first window is what transformers' truncation gives; the rest follows it
            assertArrayEquals(ints(p.get("hf_input_ids_77")), chunks[0]);
            int rest = content - 75;
            int[] second = new int[77];
            java.util.Arrays.fill(second, pad);
            second[0] = bos;
            System.arraycopy(hf, 76, second, 1, rest);
            second[rest + 1] = eos;
            assertArrayEquals(second, chunks[1]);
            assertTrue(rest > 0 && rest < 75);
        }
    }

    @Test
    void minChunksPadsWithTheEmptyPromptWindow() {
        int[] empty = ints(prompts.get(1).get("hf_input_ids_77"));
        assertEquals("", prompts.get(1).get("text").asText());
        JsonNode first = prompts.get(0);
        int[][] chunks = tok.encodeChunks(first.get("text").asText(), 3);
        assertEquals(3, chunks.length);
        assertArrayEquals(ints(first.get("hf_input_ids_77")), chunks[0]);
        assertArrayEquals(empty, chunks[1]);
        assertArrayEquals(empty, chunks[2]);
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }
}
