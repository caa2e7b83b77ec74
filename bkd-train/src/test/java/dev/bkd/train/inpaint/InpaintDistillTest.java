package dev.bkd.train.inpaint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.train.distill.DistillLoss;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distilling the tiny 9-channel inpainting teacher (reference set img2img, models_inpaint) into a BK-SDM tiny
 * student: the student keeps 9 input channels, both models see the same random masks and masked-image latents,
 * the output-KD loss falls (mean of the first 10 steps vs the last 10; lambda_task 0 because the random teacher is
 * no denoiser, as in DistillLearningTest), and the written student is an inpainting pipeline.
 */
class InpaintDistillTest {
    static final int STEPS = 40;

    private static Path teacher() {
        return RefData.file("img2img", "models_inpaint");
    }

    @Test
    void tinyInpaintingStudentLearnsTheTeacher(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 16, 64, 5);
        TrainConfig t = TrainConfig.builder().steps(STEPS).batchSize(4).lr(5e-4).seed(7).checkpointEvery(0)
                .logEvery(20).build();
        DistillOptions o = DistillOptions.builder(teacher(), data, tmp.resolve("out")).variant("tiny")
                .lambdas(0.0, null, null).resolution(64).centerCrop(true).train(t).build();
        List<Double> out = new ArrayList<>();
        try (Distiller d = Distiller.prepare(o)) {
            assertEquals(9, d.objective().student().config().inChannels());
            d.loop().listener(s -> {
                out.add(s.losses().get(DistillLoss.OUT));
                return true;
            });
            TrainResult r = d.run();
            assertTrue(r.completed());
        }
        double first = out.subList(0, 10).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = out.subList(STEPS - 10, STEPS).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        System.out.printf("inpainting distillation: kd_out %.4g -> %.4g over %d steps%n", first, last, STEPS);
        assertTrue(last < 0.8 * first, "output-KD loss " + first + " -> " + last);
        Path student = tmp.resolve("out");
        assertEquals(9, UNet2DConditionConfig.read(student.resolve("unet/config.json")).inChannels());
        assertEquals("StableDiffusionInpaintPipeline", ModelIndex.read(student.resolve("model_index.json")).className());
    }

    @Test
    void latentCacheCannotFeedAnInpaintingTeacher(@TempDir Path tmp) {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 4, 64, 5);
        DistillOptions o = DistillOptions.builder(teacher(), data, tmp.resolve("out")).variant("tiny").resolution(64)
                .cacheDir(tmp.resolve("cache")).train(TrainConfig.builder().steps(1).batchSize(2).build()).build();
        ConfigException e = assertThrows(ConfigException.class, () -> Distiller.prepare(o).close());
        assertTrue(e.getMessage().contains("--cache-latents"), e.getMessage());
    }

    @Test
    void masksFollowTheDiffusersRecipe() {
        Generator g = new Generator(11);
        int rectangles = 0;
        int covered = 0;
        for (int i = 0; i < 400; i++) {
            float[] m = RandomMasks.draw(64, 48, g);
            int ones = 0;
            int minX = 64;
            int maxX = -1;
            for (int k = 0; k < m.length; k++) {
                if (m[k] == 1f) {
                    ones++;
                    minX = Math.min(minX, k % 64);
                    maxX = Math.max(maxX, k % 64);
                }
            }
            covered += ones;
            // a filled box: its bounding box is full exactly when it is a rectangle
            if (ones > 0) {
                int minY = 48;
                int maxY = -1;
                for (int k = 0; k < m.length; k++) {
                    if (m[k] == 1f) {
                        minY = Math.min(minY, k / 64);
                        maxY = Math.max(maxY, k / 64);
                    }
                }
                if (ones == (maxX - minX + 1) * (maxY - minY + 1)) {
                    rectangles++;
                }
            }
        }
        // half rectangles (thin ellipses also fill their box, so a few more); E[area] ~ W H / 4 for rectangles
        assertTrue(rectangles > 160 && rectangles < 280, "rectangles " + rectangles + " of 400");
        double meanCover = covered / 400.0 / (64 * 48);
        assertTrue(meanCover > 0.12 && meanCover < 0.30, "mean covered fraction " + meanCover);
    }
}
