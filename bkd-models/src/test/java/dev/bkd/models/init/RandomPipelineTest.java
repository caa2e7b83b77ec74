package dev.bkd.models.init;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void demoPresetWritesALoadablePipelineWithTorchScaleWeights() throws Exception {
        PipelineSpec spec = PipelineSpec.resolve("demo");
        Path out = tmp.resolve("p");
        RandomPipeline.Result r = RandomPipeline.create(spec, 1, out, false);
        assertEquals(spec.unet().crossAttentionDim().get(0), spec.textEncoder().hiddenSize());
        assertEquals(16, spec.unet().sampleSize().get(0), "32-pixel images through a factor-2 VAE");
        try (NDManager m = NDManager.newBaseManager();
                ClipTokenizer tok = ClipTokenizer.fromPretrained(out.resolve("tokenizer"));
                UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(out.resolve("unet"),
                        UNet2DConditionModel.Options.defaults())) {
            ClipTextModel text = ClipTextModel.fromPretrained(out.resolve("text_encoder"), m,
                    Weights.LoadOptions.strictFp32());
            AutoencoderKL vae = AutoencoderKL.fromPretrained(out.resolve("vae"), m, Weights.LoadOptions.strictFp32());
            assertEquals(r.unetParameters(), unet.parameterCount());
            assertEquals(spec.textEncoder().vocabSize(), tok.eosTokenId() + 1);
            // torch's default conv init: uniform in +-1/sqrt(fan_in), so std = bound / sqrt(3)
            NDArray w = Weights.stateDict(unet).get("down_blocks.1.resnets.0.conv1.weight");
            double bound = 1 / Math.sqrt(32 * 9);
            assertTrue(w.abs().max().getFloat() <= bound);
            assertEquals(bound / Math.sqrt(3), std(w), 0.05 * bound);
            // transformers' CLIP init: embeddings normal(0, 0.02)
            assertEquals(0.02, std(Weights.stateDict(text).get("text_model.embeddings.token_embedding.weight")), 0.002);
            assertEquals(1f, Weights.stateDict(vae).get("encoder.conv_norm_out.weight").mean().getFloat());
        }
        Path again = tmp.resolve("q");
        RandomPipeline.create(spec, 1, again, false);
        Path other = tmp.resolve("s");
        RandomPipeline.create(spec, 2, other, false);
        String unetFile = "unet/" + UNet2DConditionModel.WEIGHTS_NAME;
        assertArrayEquals(Files.readAllBytes(out.resolve(unetFile)), Files.readAllBytes(again.resolve(unetFile)));
        assertFalse(Arrays.equals(Files.readAllBytes(out.resolve(unetFile)), Files.readAllBytes(other.resolve(unetFile))));
        for (String f : new String[] {"model_index.json", "scheduler/scheduler_config.json", "vae/config.json",
                "tokenizer/vocab.json", "tokenizer/merges.txt", "text_encoder/config.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
    }

    private static double std(NDArray a) {
        float[] v = a.toFloatArray();
        double s = 0;
        double s2 = 0;
        for (float x : v) {
            s += x;
            s2 += x * x;
        }
        double mean = s / v.length;
        return Math.sqrt(s2 / v.length - mean * mean);
    }

    @Test
    void specsAreCheckedLikeConfigFiles() {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineSpec.parse("t.json", "{}"));
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> PipelineSpec.resolve("nope"));
        assertTrue(e.getMessage().contains("unknown preset \"nope\""), e.getMessage());
        String bad = "{\"tokenizer\": {\"words\": [\"a\"]}, \"text_encoder\": {\"hidden_size\": 30,"
                + " \"num_attention_heads\": 4}, \"vae\": {}, \"unet\": {}, \"scheduler\": {\"_class_name\": \"DDIMScheduler\"}}";
        e = assertThrows(ConfigException.class, () -> PipelineSpec.parse("t.json", bad));
        assertTrue(e.getMessage().contains("num_attention_heads"), e.getMessage());
    }
}
