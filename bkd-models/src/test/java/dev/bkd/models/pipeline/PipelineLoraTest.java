package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.lora.LoraLoadReport;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA through the pipeline: a zero-B file leaves the image as is, a trained-looking one changes it; fuse. */
class PipelineLoraTest {

    /** Writes a UNet + text-encoder LoRA for the tiny pipeline; B random with std {@code bStd} (0: untrained). */
    static Path loraFile(Path dir, long seed, double bStd) {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                    UNet2DConditionModel.Options.defaults());
            ClipTextModel te = ClipTextModel.fromPretrained(RefData.models().resolve("text_encoder"), m,
                    Weights.LoadOptions.strictFp32());
            LoraAdapter u = Lora.add(unet, "default", LoraConfig.unet(4, 4), new Generator(seed));
            LoraAdapter t = Lora.add(te, "default", LoraConfig.textEncoder(4, 4), new Generator(seed + 1));
            if (bStd > 0) {
                for (LoraAdapter a : List.of(u, t)) {
                    a.parameters().forEach((k, v) -> {
                        if (k.endsWith(LoraAdapter.B_SUFFIX)) {
                            float[] g = new Generator(seed + k.hashCode()).gaussians((int) v.getShape().size());
                            for (int i = 0; i < g.length; i++) {
                                g[i] *= (float) bStd;
                            }
                            v.set(g);
                        }
                    });
                }
            }
            return LoraFiles.save(dir, Map.of(LoraFiles.UNET, u, LoraFiles.TEXT_ENCODER, t));
        }
    }

    static float[] image(DiffusionPipeline p) {
        return p.generate(GenerationRequest.builder("a small red square").steps(2).size(64, 64).guidanceScale(5)
                .seed(7L).outputs(OutputType.ARRAY).build()).image().data();
    }

    @Test
    void zeroLoraKeepsTheImageAndATrainedOneChangesItFusedOrNot(@TempDir Path dir) {
        Path zero = loraFile(dir.resolve("zero"), 1, 0);
        Path trained = loraFile(dir.resolve("trained"), 2, 0.3);
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(RefData.models(),
                PipelineOptions.defaults().withScheduler("ddim"))) {
            float[] base = image(pipe);
            LoraLoadReport r0 = pipe.loadLora(zero, 1.0);
            // 16 transformer blocks x (attn1, attn2) x (q, k, v, out); 2 CLIP layers x 4
            assertEquals(Map.of("unet", 16 * 2 * 4, "text_encoder", 2 * 4), r0.layers());
            assertTrue(r0.clean(), r0.describe());
            assertEquals(0.0, LoraRef.maxAbsDiff(toDouble(base), image(pipe)), "zero-B LoRA: same image");

            pipe.loadLora(trained, 0.8);
            assertEquals(List.of("default_0", "default_1"), pipe.loraNames());
            float[] withLora = image(pipe);
            double changed = LoraRef.maxAbsDiff(toDouble(base), withLora);
            pipe.fuseLora();
            double fused = LoraRef.maxAbsDiff(toDouble(withLora), image(pipe));
            assertThrows(BkdException.class, () -> pipe.removeLora("default_1"));
            pipe.unfuseLora();
            double unfused = LoraRef.maxAbsDiff(toDouble(withLora), image(pipe));
            System.out.printf("pipeline LoRA: changes the image by %.3g; fused vs unfused %.3g; unfused again %.3g%n",
                    changed, fused, unfused);
            assertTrue(changed > 1e-2, "a non-zero LoRA changes the image");
            assertTrue(fused <= 1e-4, "fused " + fused);
            assertEquals(0.0, unfused);
            pipe.removeLora("default_1");
            assertEquals(0.0, LoraRef.maxAbsDiff(toDouble(base), image(pipe)), "removed: the base image again");
            assertThrows(BkdException.class, () -> pipe.removeLora("nope"));
        }
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
