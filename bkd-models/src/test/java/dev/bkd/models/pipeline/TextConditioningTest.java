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
 * unweighted), i.e. A1111's CLIP skip 1 and 2; and at skip 1 it is bit for bit the pipeline's own encodePrompt.
 */
class TextConditioningTest {
    @Test
    void plainMatchesDiffusersAtClipSkip1And2() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(RefData.file("prompts", "prompts.json").toFile()).get("cases");
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tok = ClipTokenizer.fromPretrained(RefData.models().resolve("tokenizer"));
                DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
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
                assertEquals(0.0, RefData.maxAbsDiff(pipe.encodePrompt(prompt, m), text.plain(prompt, 1, m)), id);
            }
        }
    }
}
