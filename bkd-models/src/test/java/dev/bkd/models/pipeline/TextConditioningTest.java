package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Plain syntax is diffusers' {@code encode_prompt(prompt, clip_skip=None / 1)} for every reference prompt (truncated,
 * unweighted), i.e. A1111's CLIP skip 1 and 2; and at skip 1 it is bit for bit the text encoder's last hidden
 * state of the padded ids, as bkd computed it before prompt syntaxes existed.
 */
class TextConditioningTest {
    @Test
    void plainMatchesDiffusersAtClipSkip1And2() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(RefData.file("prompts", "prompts.json").toFile()).get("cases");
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tok = ClipTokenizer.fromPretrained(RefData.models().resolve("tokenizer"))) {
            ClipTextModel te = ClipTextModel.fromPretrained(RefData.models().resolve("text_encoder"), m,
                    Weights.LoadOptions.strictFp32());
            Map<String, NDArray> ref = RefData.load(RefData.file("prompts", "prompts.safetensors"), m);
            TextConditioning text = new TextConditioning(tok, te);
            for (JsonNode c : cases) {
                String id = c.get("id").asText();
                List<String> prompt = List.of(c.get("prompt").asText());
                for (int skip : new int[] {1, 2}) {
                    double d = RefData.maxAbsDiff(ref.get(id + ".diffusers.skip" + skip), text.plain(prompt, skip, m));
                    assertTrue(d <= 1e-5, id + " skip " + skip + ": " + d);
                }
                // bit for bit what bkd computed before prompt syntaxes existed: the padded ids' last hidden state
                long[] ids = java.util.Arrays.stream(tok.encode(prompt.get(0))).asLongStream().toArray();
                NDArray before = te.forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)))
                        .lastHiddenState();
                assertEquals(0.0, RefData.maxAbsDiff(before, text.plain(prompt, 1, m)), id);
            }
        }
    }
}
