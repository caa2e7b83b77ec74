package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.schedulers.Scheduler;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * diffusers' StableDiffusionPipeline runs in ref/pipeline.safetensors (prompt, CFG 7.5, 5 steps, injected
 * latents) against ours, for PNDM, DDIM and Euler built from the folder's scheduler config.
 */
class PipelineReferenceTest {
    private static final double IMAGE_TOL = 1e-3;
    private static NDManager manager;
    private static Map<String, NDArray> ref;
    private static Map<String, String> meta;
    private static DiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        Path file = RefData.ref("pipeline.safetensors");
        ref = RefData.load(file, manager);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            meta = f.metadata();
        }
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
    }

    @AfterAll
    static void free() {
        pipe.close();
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pndm", "ddim", "euler"})
    void matchesDiffusers(String scheduler) {
        check(pipe, scheduler);
    }

    /** DiffusionPipeline.of over the loaded components draws diffusers' image too, and leaves them to their owner. */
    @Test
    void inMemoryPipelineMatchesDiffusersAndLeavesTheComponentsOpen() {
        try (DiffusionPipeline view = DiffusionPipeline.of(pipe.tokenizer(), pipe.textEncoder(), pipe.unet(), pipe.vae(),
                pipe.schedulerConfig(), pipe.options(), "in-memory")) {
            check(view, "ddim");
            assertEquals("in-memory", view.modelName());
        }
        check(pipe, "euler"); // closing the view freed nothing of pipe's
        ConfigException e = assertThrows(ConfigException.class, () -> DiffusionPipeline.of(pipe.tokenizer(),
                pipe.textEncoder(), pipe.unet(), pipe.vae(), pipe.schedulerConfig(),
                pipe.options().withScheduler("no-such-sampler"), "x"));
        assertTrue(e.getMessage().contains("no-such-sampler"), e.getMessage());
    }

    private static void check(DiffusionPipeline pipe, String scheduler) {
        assertEquals("5", meta.get("num_inference_steps"));
        assertEquals("7.5", meta.get("guidance_scale"));
        try (Scheduler s = pipe.newScheduler(scheduler)) {
            s.setTimesteps(5);
            float[] want = ref.get(scheduler + ".timesteps").toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(want, s.timesteps(), 0f, scheduler + " timesteps");
        }
        NDArray latentsIn = ref.get(scheduler + ".latents_in");
        GenerationRequest req = GenerationRequest.builder(meta.get("prompt"))
                .negativePrompt(meta.get("negative_prompt"))
                .steps(5).guidanceScale(7.5).latents(latentsIn).scheduler(scheduler).seed(0)
                .outputs(OutputType.IMAGES, OutputType.ARRAY, OutputType.LATENTS)
                .build();
        GenerationResult r = pipe.generate(req);

        NDArray wantLatents = ref.get(scheduler + ".latents_out");
        NDArray wantImage = ref.get(scheduler + ".image_np");
        double latentErr = RefData.maxAbsDiff(r.latents().toNDArray(manager), wantLatents);
        double imageErr = RefData.maxAbsDiff(r.image().toNDArray(manager), wantImage);
        System.out.printf("pipeline %-5s worst |latents - diffusers| = %.3g, worst |image - diffusers| = %.3g"
                + " (latent range %.3g)%n", scheduler, latentErr, imageErr, wantLatents.abs().max().getFloat());
        assertTrue(imageErr <= IMAGE_TOL, scheduler + ": image max abs diff " + imageErr);
        assertTrue(latentErr <= IMAGE_TOL * wantLatents.abs().max().getFloat(),
                scheduler + ": latents max abs diff " + latentErr);

        // 8-bit image: PIL's round(x * 255) of the reference, off by one only where the float is near a tie
        float[] want = wantImage.toFloatArray();
        BufferedImage img = r.images().get(0);
        assertEquals(128, img.getWidth());
        int worst = 0;
        for (int y = 0; y < 128; y++) {
            for (int x = 0; x < 128; x++) {
                int rgb = img.getRGB(x, y);
                int[] got = {(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255};
                for (int c = 0; c < 3; c++) {
                    long expected = Math.round((double) want[(y * 128 + x) * 3 + c] * 255.0);
                    worst = (int) Math.max(worst, Math.abs(got[c] - expected));
                }
            }
        }
        assertTrue(worst <= 1, scheduler + ": 8-bit pixel off by " + worst);
        assertEquals(latentsIn.getShape(), ref.get(scheduler + ".latents_in").getShape(), "caller's latents untouched");
    }
}
