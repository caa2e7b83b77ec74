package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.random.Generator;
import dev.bkd.core.random.TorchGenerator;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.schedulers.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** generate's semantics beyond the single reference run: batching, guidance, seeds, embeddings, errors, lifetimes. */
class PipelineBehaviourTest {
    private static NDManager manager;
    private static Map<String, NDArray> ref;
    private static String prompt;
    private static DiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("pipeline.safetensors"), manager);
        try (SafetensorsFile f = SafetensorsFile.open(RefData.ref("pipeline.safetensors"))) {
            prompt = f.metadata().get("prompt");
        }
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults().withScheduler("ddim"));
    }

    @AfterAll
    static void free() {
        pipe.close();
        manager.close();
    }

    private static GenerationRequest.Builder ddimRef() {
        return GenerationRequest.builder(prompt).steps(5).guidanceScale(7.5).latents(ref.get("ddim.latents_in"))
                .outputs(OutputType.ARRAY);
    }

    private static float[] image(GenerationResult r, int i) {
        Shape s = r.image().shape();
        int n = (int) (s.size() / s.get(0));
        float[] out = new float[n];
        System.arraycopy(r.image().data(), i * n, out, 0, n);
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @Test
    void batchOrderIsPromptMajorLikeDiffusers() {
        NDArray one = ref.get("ddim.latents_in");
        NDArray four = one.concat(one, 0).concat(one.concat(one, 0), 0);
        GenerationResult r = pipe.generate(GenerationRequest.builder(prompt, "a red circle").steps(5).guidanceScale(7.5)
                .imagesPerPrompt(2).latents(four).outputs(OutputType.ARRAY, OutputType.IMAGES).build());
        assertEquals(new Shape(4, 128, 128, 3), r.image().shape());
        assertEquals(4, r.images().size());
        float[] want = ref.get("ddim.image_np").toFloatArray();
        for (int i = 0; i < 2; i++) {
            double err = maxDiff(image(r, i), want);
            System.out.printf("batch of 4, image %d (first prompt) vs diffusers: %.3g%n", i, err);
            assertTrue(err <= 1e-3, "image " + i + ": " + err);
        }
        assertTrue(maxDiff(image(r, 2), want) > 0.05, "the second prompt must change the image");
        assertTrue(maxDiff(image(r, 2), image(r, 3)) <= 1e-5);
        assertEquals(List.of(prompt, prompt, "a red circle", "a red circle"),
                r.parameters().stream().map(GenerationParameters::prompt).toList());
    }

    @Test
    void guidanceOneSkipsTheUnconditionalPass() {
        Supplier<GenerationRequest.Builder> base = () -> ddimRef().guidanceScale(1.0);
        GenerationResult a = pipe.generate(base.get().negativePrompt("blurry, ugly").build());
        GenerationResult b = pipe.generate(base.get().negativePrompt("a very different negative").build());
        assertArrayEquals(a.image().data(), b.image().data(), 0f, "without guidance the negative prompt is unused");
        // just above 1 the guided result must be close to the conditional-only one: eps_u + 1.0001 (eps_c - eps_u)
        GenerationResult c = pipe.generate(ddimRef().guidanceScale(1.0001).negativePrompt("blurry, ugly").build());
        double near = maxDiff(a.image().data(), c.image().data());
        GenerationResult d = pipe.generate(ddimRef().guidanceScale(1.5).negativePrompt("blurry, ugly").build());
        double far = maxDiff(a.image().data(), d.image().data());
        System.out.printf("guidance 1 vs 1.0001: %.3g, vs 1.5: %.3g%n", near, far);
        assertTrue(near < 1e-3 && far > 100 * near, near + " / " + far);
    }

    @Test
    void seedDrawsTheInitialNoiseFromAGenerator() {
        GenerationRequest seeded = GenerationRequest.builder("a red circle").steps(2).seed(42L)
                .outputs(OutputType.LATENTS, OutputType.ARRAY).build();
        GenerationResult a = pipe.generate(seeded);
        GenerationResult b = pipe.generate(seeded);
        assertArrayEquals(a.image().data(), b.image().data(), 0f, "same seed, same image");
        assertArrayEquals(a.latents().data(), b.latents().data(), 0f);
        assertEquals(42L, a.parameters().get(0).seed());

        // the default RNG is torch's: seed 42 draws torch.Generator("cpu").manual_seed(42)'s latents
        NDArray noise = new TorchGenerator(42L).randn(manager, new Shape(1, 4, 16, 16));
        GenerationResult c = pipe.generate(GenerationRequest.builder("a red circle").steps(2).seed(7L).latents(noise)
                .outputs(OutputType.LATENTS).build());
        assertArrayEquals(a.latents().data(), c.latents().data(), 0f, "seed 42 == latents from TorchGenerator(42)");
        // --rng bkd keeps bkd's own generator
        GenerationResult bkd = pipe.generate(GenerationRequest.builder("a red circle").steps(2).seed(42L)
                .rng(Rng.BKD).outputs(OutputType.LATENTS).build());
        GenerationResult d = pipe.generate(GenerationRequest.builder("a red circle").steps(2).seed(7L)
                .latents(new Generator(42L).randn(manager, new Shape(1, 4, 16, 16))).outputs(OutputType.LATENTS).build());
        assertArrayEquals(bkd.latents().data(), d.latents().data(), 0f, "rng bkd: seed 42 == latents from Generator(42)");
        assertEquals("bkd", bkd.parameters().get(0).rng());

        GenerationResult other = pipe.generate(GenerationRequest.builder("a red circle").steps(2).seed(43L)
                .outputs(OutputType.LATENTS).build());
        assertFalse(maxDiff(a.latents().data(), other.latents().data()) < 1e-3);

        GenerationResult random = pipe.generate(GenerationRequest.builder("a red circle").steps(1)
                .outputs(OutputType.LATENTS).build());
        long s = random.parameters().get(0).seed();
        assertTrue(s >= 0 && s < (1L << 32), "a drawn seed is recorded: " + s);
    }

    @Test
    void precomputedEmbeddingsReproduceThePromptPath() {
        NDArray cond = pipe.encodePrompt(List.of(prompt), manager);
        NDArray uncond = pipe.encodePrompt(List.of(""), manager);
        assertEquals(new Shape(1, 77, 32), cond.getShape());
        GenerationResult r = pipe.generate(GenerationRequest.builder().promptEmbeds(cond).negativePromptEmbeds(uncond)
                .steps(5).latents(ref.get("ddim.latents_in")).outputs(OutputType.ARRAY).build());
        double err = maxDiff(r.image().data(), ref.get("ddim.image_np").toFloatArray());
        System.out.printf("prompt embeddings path vs diffusers: %.3g%n", err);
        assertTrue(err <= 1e-3, "embeddings path " + err);
        // without negative embeddings, "" is encoded for them
        GenerationResult r2 = pipe.generate(GenerationRequest.builder().promptEmbeds(cond).steps(5)
                .latents(ref.get("ddim.latents_in")).outputs(OutputType.ARRAY).build());
        assertArrayEquals(r.image().data(), r2.image().data(), 0f);
        assertEquals("", r.parameters().get(0).prompt());
        assertFalse(cond.isReleased(), "caller's arrays stay open");
    }

    @Test
    void latentsOnlySkipsTheDecode() {
        GenerationResult r = pipe.generate(ddimRef().outputs(OutputType.LATENTS).build());
        assertNull(r.image());
        assertTrue(r.images().isEmpty());
        double err = RefData.maxAbsDiff(r.latents().toNDArray(manager), ref.get("ddim.latents_out"));
        assertTrue(err <= 1e-3, "latents " + err);
        assertThrows(BkdException.class, () -> r.save(java.nio.file.Path.of("unused")));
    }

    @Test
    void progressReportsEveryUnetEvaluation() {
        List<Float> seen = new ArrayList<>();
        List<Integer> totals = new ArrayList<>();
        pipe.generate(ddimRef().scheduler("pndm").latents(ref.get("pndm.latents_in"))
                .progress((step, total, t) -> {
                    assertEquals(seen.size() + 1, step);
                    seen.add(t);
                    totals.add(total);
                }).build());
        float[] want = ref.get("pndm.timesteps").toType(DataType.FLOAT32, false).toFloatArray();
        assertEquals(want.length, seen.size(), "PNDM evaluates the UNet 6 times for 5 steps");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], seen.get(i));
            assertEquals(want.length, totals.get(i));
        }
    }

    @Test
    void cancelStopsAndFreesEverything() {
        BaseNDManager weights = (BaseNDManager) pipe.manager();
        int before = weights.getManagedArrays().size();
        int[] steps = {0};
        GenerationCancelledException e = assertThrows(GenerationCancelledException.class, () -> pipe.generate(
                ddimRef().progress((s, n, t) -> steps[0] = s).cancel(() -> steps[0] >= 2).build()));
        assertTrue(e.getMessage().contains("after 2 of 5 steps"), e.getMessage());
        assertEquals(before, weights.getManagedArrays().size(), "a cancelled call leaves nothing behind");
    }

    @Test
    void oneCallsArraysAreFreedWhenItReturns() {
        BaseNDManager weights = (BaseNDManager) pipe.manager();
        int before = weights.getManagedArrays().size();
        try (NDManager caller = NDManager.newBaseManager()) {
            NDArray latents = ref.get("ddim.latents_in").duplicate();
            latents.attach(caller);
            int callerBefore = caller.getManagedArrays().size();
            for (String s : new String[] {"ddim", "pndm", "euler-a", "dpm++2m"}) {
                pipe.generate(ddimRef().scheduler(s).latents(latents)
                        .outputs(OutputType.IMAGES, OutputType.ARRAY, OutputType.LATENTS).build());
                assertEquals(before, weights.getManagedArrays().size(), s + ": arrays left in the pipeline's managers");
                assertEquals(callerBefore, caller.getManagedArrays().size(), s + ": arrays left in the caller's manager");
            }
            assertThrows(GenerationRequestException.class, () -> pipe.generate(ddimRef().size(64, 64).latents(latents)
                    .build()));
            assertEquals(before, weights.getManagedArrays().size(), "a failed call leaves nothing behind");
        }
    }

    @Test
    void badRequestsNameTheField() {
        assertEquals("width", assertThrows(GenerationRequestException.class,
                () -> ddimRef().size(100, 128).build()).field());
        assertEquals("height", assertThrows(GenerationRequestException.class,
                () -> ddimRef().size(128, 0).build()).field());
        assertEquals("steps", assertThrows(GenerationRequestException.class, () -> ddimRef().steps(0).build()).field());
        assertEquals("prompts", assertThrows(GenerationRequestException.class,
                () -> GenerationRequest.builder().build()).field());
        assertEquals("negativePrompts", assertThrows(GenerationRequestException.class,
                () -> GenerationRequest.builder("a", "b", "c").negativePrompts(List.of("x", "y")).build()).field());
        assertEquals("imagesPerPrompt", assertThrows(GenerationRequestException.class,
                () -> ddimRef().imagesPerPrompt(0).build()).field());
        assertEquals("guidanceScale", assertThrows(GenerationRequestException.class,
                () -> ddimRef().guidanceScale(Double.NaN).build()).field());

        GenerationRequestException shape = assertThrows(GenerationRequestException.class,
                () -> pipe.generate(ddimRef().imagesPerPrompt(2).build()));
        assertEquals("latents", shape.field());
        assertTrue(shape.getMessage().contains("(2, 4, 16, 16)"), shape.getMessage());

        NDArray narrow = manager.zeros(new Shape(1, 77, 16));
        GenerationRequestException embeds = assertThrows(GenerationRequestException.class,
                () -> pipe.generate(GenerationRequest.builder().promptEmbeds(narrow).steps(1).build()));
        assertEquals("promptEmbeds", embeds.field());
        assertTrue(embeds.getMessage().contains("cross_attention_dim 32"), embeds.getMessage());

        BkdException sched = assertThrows(BkdException.class, () -> pipe.generate(ddimRef().scheduler("heun").build()));
        assertTrue(sched.getMessage().contains("unknown scheduler \"heun\""), sched.getMessage());
        assertThrows(BkdException.class, () -> pipe.setScheduler("heun"));
        assertEquals("ddim", pipe.schedulerName());
    }

    @Test
    void defaultsComeFromTheModel() {
        assertEquals(8, pipe.vaeScaleFactor());
        assertEquals(128, pipe.defaultWidth());
        assertEquals(128, pipe.defaultHeight());
        GenerationResult r = pipe.generate(GenerationRequest.builder("a red circle").steps(1).seed(1L)
                .size(64, 96).outputs(OutputType.IMAGES, OutputType.LATENTS).build());
        assertEquals(64, r.images().get(0).getWidth());
        assertEquals(96, r.images().get(0).getHeight());
        assertEquals(new Shape(1, 4, 12, 8), r.latents().shape());
        GenerationParameters p = r.parameters().get(0);
        assertEquals(new GenerationParameters("a red circle", "", 1, "ddim", 7.5, 1L, 64, 96, "models", "plain", 1, "CPU"), p);
        try (Scheduler s = pipe.newScheduler(null)) {
            assertEquals("ddim", s.name());
        }
    }
}
