package dev.bkd.models.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SD2-style text encoders ({@code checkpoints/sd2-tiny}: pad token "!" = id 0, OpenCLIP's penultimate layer baked
 * into the layer count): A1111 mode re-pads after the first EOS with the pad id, so an unweighted prompt gives
 * diffusers' {@code prompt_embeds} of the reference pipeline.
 */
class Sd2PromptTest {
    @TempDir
    Path tmp;

    @Test
    void unweightedPromptsEqualDiffusersEmbeddings() throws IOException {
        Path sd2 = RefData.dataset("checkpoints").resolve("sd2-tiny");
        Path tok = tmp.resolve("tokenizer");
        Files.createDirectories(tok);
        for (String f : new String[] {"tokenizer_config.json", "special_tokens_map.json"}) {
            Files.copy(sd2.resolve("tokenizer").resolve(f), tok.resolve(f));
        }
        // the reference leaves out the vocabulary, which is sd-tiny's (its README says so)
        for (String f : new String[] {"vocab.json", "merges.txt"}) {
            Files.copy(RefData.models().resolve("tokenizer").resolve(f), tok.resolve(f));
        }
        try (NDManager m = NDManager.newBaseManager(); ClipTokenizer tokenizer = ClipTokenizer.fromPretrained(tok)) {
            assertEquals(0, tokenizer.padTokenId());
            ClipTextModel te = ClipTextModel.fromPretrained(sd2.resolve("text_encoder"), m,
                    Weights.LoadOptions.strictFp32());
            Map<String, NDArray> ref = RefData.load(RefData.file("checkpoints", "sd2/e2e.safetensors"), m);
            WeightedTextEncoder enc = new WeightedTextEncoder(tokenizer, te, 1);
            String prompt = "a cozy wooden cabin in snowy mountains at night, stars! cinematic lighting";
            String negative = "lowres, blurry!!, watermark";
            // the chunk keeps EOS padding like A1111's; the ids the encoder sees carry the pad id after EOS
            ChunkedPrompt chunked = enc.tokenize(prompt);
            long[] refIds = ref.get("prompt_ids").toLongArray();
            int[] ids = chunked.chunks().get(0).ids();
            int eosAt = java.util.stream.IntStream.range(0, 77).filter(i -> refIds[i] == 49407).findFirst().orElseThrow();
            for (int i = 0; i < 77; i++) {
                assertEquals(i <= eosAt ? refIds[i] : 49407, ids[i], "id " + i);
            }
            assertClose("prompt_embeds", ref.get("prompt_embeds"), enc.encode(prompt, m));
            assertClose("negative_prompt_embeds", ref.get("negative_prompt_embeds"), enc.encode(negative, m));
            assertArrayEquals(new int[] {0}, tokenizer.idsWithoutSpecialTokens("!"));
        }
    }

    private static void assertClose(String what, NDArray expected, NDArray actual) {
        double d = RefData.maxAbsDiff(expected, actual);
        assertTrue(d <= 1e-5, what + ": max abs diff " + d);
    }
}
