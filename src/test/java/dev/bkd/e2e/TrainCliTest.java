package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.log.MetricsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo teacher's recipe in miniature: demo-data -> init -> train-vae -> finetune, each output a loadable pipeline. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class TrainCliTest {
    @TempDir
    Path tmp;

    @Test
    void dataInitVaeFinetuneChain() {
        Path data = tmp.resolve("data");
        Cli d = Cli.run("demo-data", "--out", data.toString(), "--count", "8", "--seed", "3");
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("wrote 8 images of 32x32"), d.out());
        Cli again = Cli.run("demo-data", "--out", data.toString(), "--count", "8", "--seed", "3");
        assertTrue(again.out().startsWith("reused"), again.out());

        Path init = tmp.resolve("init");
        Cli i = Cli.run("init", "--preset", "demo", "--out", init.toString(), "--seed", "1");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("unet:") && i.out().contains("parameters"), i.out());

        Path vae = tmp.resolve("vae");
        Cli v = Cli.run("train-vae", "--model", init.toString(), "--data", data.toString(), "--out", vae.toString(),
                "--steps", "2", "--batch", "4", "--calibration-images", "8");
        assertEquals(0, v.code(), v.err());
        double scaling = AutoencoderKLConfig.read(vae.resolve("vae/config.json")).scalingFactor();
        assertTrue(v.out().contains("scaling_factor: " + scaling), v.out());
        assertTrue(Files.isRegularFile(vae.resolve("samples/step-2/reconstructions.png")));

        Path ft = tmp.resolve("ft");
        Cli f = Cli.run("finetune", "--model", vae.toString(), "--data", data.toString(), "--out", ft.toString(),
                "--steps", "2", "--batch", "4", "--cache-latents", tmp.resolve("cache").toString(), "--snr-gamma", "5",
                "--ema", "--ema-decay", "0.9", "--validation-prompt", "a red circle on a blue background",
                "--validation-steps", "2");
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("trained 2 steps"), f.out());
        assertEquals(2, MetricsWriter.read(ft.resolve("metrics.jsonl")).size());
        assertTrue(Files.isDirectory(ft.resolve("samples/step-2")), "validation samples as distillation writes them");
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(ft, PipelineOptions.defaults())) {
            assertEquals(32, p.defaultHeight(), "16x16 latents through the factor-2 VAE");
            assertEquals(scaling, p.vae().scalingFactor(), "the VAE came along from train-vae");
            assertEquals(1, p.generate(GenerationRequest.builder("a blue square on a red background").steps(2).seed(0L)
                    .build()).images().size());
        }
        Path half = tmp.resolve("half");
        Cli c = Cli.run("convert", "--model", ft.toString(), "--out", half.toString(), "--dtype", "float16", "--only",
                "model_index.json,scheduler,text_encoder,tokenizer,unet,vae");
        assertEquals(0, c.code(), c.err());
        assertFalse(Files.exists(half.resolve("metrics.jsonl")), "--only leaves the run files out");
        assertEquals(0.5, sizeOf(half.resolve("unet/diffusion_pytorch_model.safetensors"))
                / sizeOf(ft.resolve("unet/diffusion_pytorch_model.safetensors")), 0.01, "half the bytes (same header)");
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(half, PipelineOptions.defaults())) {
            assertEquals(1, p.generate(GenerationRequest.builder("a red square on a white background").steps(2)
                    .seed(0L).build()).images().size());
        }
        Cli bad = Cli.run("finetune", "--model", vae.toString(), "--data", data.toString(), "--out", ft.toString(),
                "--steps", "2");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--resume latest"), bad.err());
    }

    /**
     * The README's teacher recipe, in miniature and run twice from scratch: every file of the shipped pipeline
     * comes out byte for byte the same (seeded data, init, noise, dropout of captions, EMA; no wall-clock input).
     */
    @Test
    void theTeacherRecipeReproducesItsOutputByteForByte() throws java.io.IOException {
        Path a = miniRecipe(tmp.resolve("a"));
        Path b = miniRecipe(tmp.resolve("b"));
        java.util.List<Path> files;
        try (var walk = Files.walk(a)) {
            files = walk.filter(Files::isRegularFile).map(a::relativize).sorted().toList();
        }
        assertTrue(files.contains(Path.of("unet/diffusion_pytorch_model.safetensors")), files.toString());
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f.toString());
        }
    }

    private static Path miniRecipe(Path root) {
        String r = root.toString();
        for (String[] args : new String[][] {
                {"demo-data", "--out", r + "/data", "--count", "8", "--seed", "0"},
                {"init", "--preset", "demo", "--out", r + "/init", "--seed", "0"},
                {"train-vae", "--model", r + "/init", "--data", r + "/data", "--out", r + "/vae", "--center-crop",
                        "--steps", "3", "--batch", "4", "--lr", "1e-3", "--lr-scheduler", "cosine", "--warmup", "1",
                        "--calibration-images", "8"},
                {"finetune", "--model", r + "/vae", "--data", r + "/data", "--out", r + "/teacher", "--cache-latents",
                        r + "/cache", "--center-crop", "--steps", "3", "--batch", "4", "--lr", "1e-3", "--lr-scheduler",
                        "cosine", "--warmup", "1", "--snr-gamma", "5", "--proportion-empty-prompts", "0.5", "--ema",
                        "--ema-decay", "0.9", "--checkpoint-every", "2", "--keep", "1"},
                {"convert", "--model", r + "/teacher", "--out", r + "/shipped", "--dtype", "float16", "--only",
                        "model_index.json,scheduler,text_encoder,tokenizer,unet,vae"}}) {
            Cli c = Cli.run(args);
            assertEquals(0, c.code(), String.join(" ", args) + "\n" + c.err());
        }
        return root.resolve("shipped");
    }

    private static double sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
