package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.singlefile.SingleFileException;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single files generate diffusers' from_single_file images (checkpoints/sd1, sd2, vae e2e references). */
class SingleFilePipelineTest {
    private static final double IMAGE_TOL = 1e-4;
    private static final double LATENT_TOL = 5e-4;
    private static NDManager manager;
    private static Path ref;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        ref = RefData.dataset("checkpoints");
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    /** sd2-tiny ships without vocab.json/merges.txt (README: copy them from sd-tiny's tokenizer). */
    static Path sd2Folder(Path dir) throws IOException {
        Path out = dir.resolve("sd2-tiny");
        if (Files.isDirectory(out)) {
            return out;
        }
        Path src = RefData.dataset("checkpoints").resolve("sd2-tiny");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = out.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        for (String n : new String[] {"vocab.json", "merges.txt"}) {
            Files.copy(RefData.models().resolve("tokenizer").resolve(n), out.resolve("tokenizer").resolve(n));
        }
        return out;
    }

    private static GenerationResult run(DiffusionPipeline pipe, Map<String, NDArray> e2e, Map<String, String> meta,
            String prefix, String scheduler) {
        GenerationRequest req = GenerationRequest.builder(meta.get("prompt"))
                .negativePrompt(meta.get("negative_prompt"))
                .steps(6).guidanceScale(7.5).size(64, 64).latents(e2e.get(prefix + "latents_in")).scheduler(scheduler)
                .seed(0).outputs(OutputType.ARRAY, OutputType.LATENTS).build();
        return pipe.generate(req);
    }

    private static void assertImage(GenerationResult r, Map<String, NDArray> e2e, String prefix, String what) {
        double latentErr = RefData.maxAbsDiff(r.latents().toNDArray(manager), e2e.get(prefix + "latents_out"));
        double imageErr = RefData.maxAbsDiff(r.image().toNDArray(manager), e2e.get(prefix + "image_np"));
        System.out.printf("%s: |latents - diffusers| = %.3g, |image - diffusers| = %.3g%n", what, latentErr, imageErr);
        assertTrue(latentErr <= LATENT_TOL, what + ": latents max abs diff " + latentErr);
        assertTrue(imageErr <= IMAGE_TOL, what + ": image max abs diff " + imageErr);
    }

    private static Map<String, String> meta(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.metadata();
        }
    }

    @Test
    void sd1SingleFileGeneratesTheReferenceImageAndTheVaeOverrideShows() {
        Path e2eFile = ref.resolve("sd1/e2e.safetensors");
        Map<String, NDArray> e2e = RefData.load(e2eFile, manager);
        PipelineOptions opts = PipelineOptions.defaults()
                .withSingleFile(SingleFileOptions.defaults().withConfig(RefData.models()));
        try (DiffusionPipeline pipe = DiffusionPipeline.fromSingleFile(ref.resolve("sd1/sd-tiny.safetensors"), opts)) {
            assertImage(run(pipe, e2e, meta(e2eFile), "ddim.", "ddim"), e2e, "ddim.", "sd1 single file ddim");
        }
        Path swapFile = ref.resolve("vae/e2e_swapped_vae.safetensors");
        Map<String, NDArray> swap = RefData.load(swapFile, manager);
        Path vae = ref.resolve("vae/vae-tiny-perturbed.safetensors");
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(ref.resolve("sd1/sd-tiny.safetensors").toString(),
                opts.withVae(vae))) {
            GenerationResult r = run(pipe, e2e, meta(e2eFile), "ddim.", "ddim");
            assertImage(r, swap, "swapped.", "sd1 single file + --vae file");
            double moved = RefData.maxAbsDiff(r.image().toNDArray(manager), e2e.get("ddim.image_np"));
            assertTrue(moved > 0.1, "the swapped VAE must change the image, max diff " + moved);
        }
    }

    @Test
    void sd2VPredictionGeneratesTheReferenceImagesFromBothLayouts() throws IOException {
        Path folder = sd2Folder(tmp);
        Path e2eFile = ref.resolve("sd2/e2e.safetensors");
        Map<String, NDArray> e2e = RefData.load(e2eFile, manager);
        Map<String, String> meta = meta(e2eFile);
        PipelineOptions opts = PipelineOptions.defaults().withSingleFile(SingleFileOptions.defaults().withConfig(folder));
        try (DiffusionPipeline single = DiffusionPipeline.fromSingleFile(ref.resolve("sd2/sd2-tiny.safetensors"), opts);
                DiffusionPipeline diffusers = DiffusionPipeline.fromPretrained(folder, PipelineOptions.defaults())) {
            for (String s : new String[] {"ddim", "euler"}) {
                assertImage(run(single, e2e, meta, s + ".", s), e2e, s + ".", "sd2 single file " + s);
                assertImage(run(diffusers, e2e, meta, s + ".", s), e2e, s + ".", "sd2 folder " + s);
            }
        }
    }

    @Test
    void predictionTypeOverrideReachesTheScheduler() throws IOException {
        Path folder = sd2Folder(tmp);
        PipelineOptions opts = PipelineOptions.defaults().withSingleFile(
                SingleFileOptions.defaults().withConfig(folder).withPredictionType("epsilon"));
        try (DiffusionPipeline p = DiffusionPipeline.fromSingleFile(ref.resolve("sd2/sd2-tiny.safetensors"), opts)) {
            assertEquals("epsilon", p.schedulerConfig().predictionType());
        }
    }

    @Test
    void withoutConfigTheArchitectureIsInferredAndItsRepoLookedUpOffline() {
        HubCache empty = HubCache.at(tmp.resolve("empty-hub"));
        SingleFileException e = assertThrows(SingleFileException.class, () -> DiffusionPipeline.fromSingleFile(
                ref.resolve("sd1/sd-tiny.safetensors"), PipelineOptions.defaults(), empty));
        assertTrue(e.getMessage().contains("width 32 is not a standard") && e.getMessage().contains("--config"),
                e.getMessage());
        // the standard sizes: the cross-attention key's width picks SD1.x (768) or SD2.x (1024), like diffusers
        for (int width : new int[] {768, 1024}) {
            Path f = tmp.resolve("cross" + width + ".safetensors");
            dev.bkd.core.safetensors.SafetensorsWriter.write(f, Map.of("model.diffusion_model.input_blocks.2.1"
                    + ".transformer_blocks.0.attn2.to_k.weight", manager.zeros(new ai.djl.ndarray.types.Shape(2, width))));
            e = assertThrows(SingleFileException.class, () -> DiffusionPipeline.fromSingleFile(f,
                    PipelineOptions.defaults(), empty));
            String repo = width == 768 ? "stable-diffusion-v1-5/stable-diffusion-v1-5" : "stabilityai/stable-diffusion-2-1";
            assertTrue(e.getMessage().contains(width == 768 ? "SD1.x" : "SD2.x") && e.getMessage().contains(repo)
                    && e.getMessage().contains("--config"), e.getMessage());
        }
        assertThrows(SingleFileException.class, () -> DiffusionPipeline.fromSingleFile(ref.resolve("sd1/sd-tiny.safetensors"),
                PipelineOptions.defaults().withSingleFile(SingleFileOptions.defaults().withConfig(RefData.models())
                        .withEma(true))));
    }

    @Test
    void ckptLoadsToTheFp16RoundedWeights() {
        PipelineOptions opts = PipelineOptions.defaults()
                .withSingleFile(SingleFileOptions.defaults().withConfig(RefData.models()));
        try (DiffusionPipeline p = DiffusionPipeline.fromSingleFile(ref.resolve("ckpt/sd-tiny-fp16.ckpt"), opts);
                DiffusionPipeline folder = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
            Map<String, NDArray> got = dev.bkd.core.weights.Weights.stateDict(p.unet());
            Map<String, NDArray> want = dev.bkd.core.weights.Weights.stateDict(folder.unet());
            assertEquals(want.keySet(), got.keySet());
            for (String k : want.keySet()) {
                assertArrayEquals(want.get(k).toType(ai.djl.ndarray.types.DataType.FLOAT16, false)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), got.get(k).toFloatArray(), 0f, k);
            }
        }
    }
}
