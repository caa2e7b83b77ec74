package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.FakeHubCache;
import dev.bkd.core.testing.PngText;
import dev.bkd.examples.cli.BkdCli;
import dev.bkd.core.testing.RefData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateCliTest {
    private static NDManager manager;
    private static Map<String, NDArray> ref;
    private static String prompt;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("pipeline.safetensors"), manager);
        try (SafetensorsFile f = SafetensorsFile.open(RefData.ref("pipeline.safetensors"))) {
            prompt = f.metadata().get("prompt");
        }
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    private static String models() {
        return RefData.models().toString();
    }

    @Test
    void writesAPngWithItsParameters() throws IOException {
        Path out = tmp.resolve("out");
        Cli r = Cli.run("generate", "--model", models(), "--prompt", "a red circle", "--steps", "5", "--seed", "1",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Path png = out.resolve("00000-1.png");
        assertEquals(png.toString(), r.out().strip(), "the path written is printed");
        Map<String, String> text = pngText(png);
        assertEquals(Map.of("parameters", "a red circle\n"
                + "Steps: 5, Sampler: PNDM, CFG scale: 7.5, Seed: 1, Size: 128x128, Model: models, RNG: CPU,"
                + " Prompt syntax: a1111"), text);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(128, img.getWidth());
        assertEquals(128, img.getHeight());
        assertTrue(r.err().contains("6/6 ["), "PNDM's 6 UNet calls for 5 steps on the progress bar: " + r.err());
        assertTrue(r.err().matches("(?s).*(it/s|s/it), ETA 0:00\\n.*"), r.err());
    }

    /**
     * {@code --seed 1101} alone gives diffusers' image for {@code generator=torch.Generator("cpu").manual_seed(1101)}
     * (checkpoints/sd1/e2e, DDIM, 6 steps, 64x64), with the A1111 default syntax (an unweighted prompt) and plain;
     * {@code --rng bkd} gives another image, and the PNG records the choices.
     */
    @Test
    void seedGivesDiffusersImage() throws IOException {
        Map<String, NDArray> sd1 = RefData.load(RefData.file("checkpoints", "sd1/e2e.safetensors"), manager);
        for (String syntax : List.of("a1111", "plain")) {
            Path saved = tmp.resolve(syntax + ".safetensors");
            Cli r = Cli.run("generate", "--model", models(), "--prompt",
                    "an oil painting of a lighthouse on a cliff at dusk, dramatic clouds", "--negative-prompt",
                    "blurry, jpeg artifacts, text, watermark", "--steps", "6", "--scheduler", "ddim", "--seed", "1101",
                    "--width", "64", "--height", "64", "--prompt-syntax", syntax, "--save-latents", saved.toString(),
                    "--out", tmp.resolve("png").toString());
            assertEquals(0, r.code(), r.err());
            try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(saved)) {
                double imageErr = RefData.maxAbsDiff(f.load("image", m), sd1.get("ddim.image_np"));
                assertTrue(imageErr <= 1e-4, syntax + ": image " + imageErr);
                assertTrue(f.metadata().get("parameters").endsWith("RNG: CPU, Prompt syntax: " + syntax),
                        f.metadata().get("parameters"));
            }
        }
        Path other = tmp.resolve("bkd.safetensors");
        Cli r = Cli.run("generate", "--model", models(), "--prompt", "an oil painting of a lighthouse", "--steps", "6",
                "--scheduler", "ddim", "--seed", "1101", "--width", "64", "--height", "64", "--rng", "bkd",
                "--clip-skip", "2", "--save-latents", other.toString(), "--out", tmp.resolve("png").toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(other)) {
            assertTrue(f.metadata().get("parameters").endsWith("Clip skip: 2, RNG: bkd, Prompt syntax: a1111"),
                    f.metadata().get("parameters"));
        }
    }

    /** --num-images 2 --seed 41: the images of seeds 41 and 42, each as that seed alone gives it (A1111's batches). */
    @Test
    void eachImageOfABatchHasItsOwnSeed() {
        Path batch = tmp.resolve("batch.safetensors");
        Path alone = tmp.resolve("alone.safetensors");
        String[] common = {"generate", "--model", models(), "--prompt", "a red circle", "--steps", "3", "--scheduler",
            "euler-a", "--width", "64", "--height", "64", "--out", tmp.resolve("png").toString()};
        List<String> a = new java.util.ArrayList<>(List.of(common));
        a.addAll(List.of("--num-images", "2", "--seed", "41", "--save-latents", batch.toString()));
        Cli r = Cli.run(a.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("00000-41.png") && r.out().contains("00001-42.png"), r.out());
        List<String> b = new java.util.ArrayList<>(List.of(common));
        b.addAll(List.of("--seed", "42", "--save-latents", alone.toString()));
        assertEquals(0, Cli.run(b.toArray(new String[0])).code());
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile fb = SafetensorsFile.open(batch);
                SafetensorsFile fa = SafetensorsFile.open(alone)) {
            NDArray second = fb.load("image", m).get(1).expandDims(0);
            double d = RefData.maxAbsDiff(second, fa.load("image", m));
            // batch-size float noise only (a wrong draw changes the image by ~1)
            assertTrue(d <= 1e-4, "image 1 of the batch vs seed 42 alone: " + d);
        }
    }

    @Test
    void sameSeedSamePixels() throws IOException {
        Path out = tmp.resolve("out");
        String[] args = {"generate", "--model", models(), "--prompt", "a red circle", "--negative-prompt", "blurry",
            "--steps", "3", "--seed", "7", "--scheduler", "euler-a", "--out", out.toString()};
        Cli a = Cli.run(args);
        Cli b = Cli.run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertEquals(out.resolve("00000-7.png").toString(), a.out().strip());
        assertEquals(out.resolve("00001-7.png").toString(), b.out().strip(), "the second run does not overwrite");
        int[] pa = Pixels.of(out.resolve("00000-7.png"));
        assertArrayEquals(pa, Pixels.of(out.resolve("00001-7.png")));
        assertTrue(pngText(out.resolve("00000-7.png")).get("parameters")
                .startsWith("a red circle\nNegative prompt: blurry\nSteps: 3, Sampler: Euler a, CFG scale: 7.5, Seed: 7,"));

        Cli c = Cli.run("generate", "--model", models(), "--prompt", "a red circle", "--negative-prompt", "blurry",
                "--steps", "3", "--seed", "8", "--scheduler", "euler-a", "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        assertFalse(java.util.Arrays.equals(pa, Pixels.of(out.resolve("00002-8.png"))), "another seed, another image");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pndm", "ddim", "euler"})
    void latentsFileReproducesDiffusers(String scheduler) {
        Path in = tmp.resolve("in.safetensors");
        SafetensorsWriter.write(in, Map.of("latents", ref.get(scheduler + ".latents_in")));
        Path saved = tmp.resolve("run/saved.safetensors");
        Cli r = Cli.run("generate", "--model", models(), "--prompt", prompt, "--steps", "5", "--guidance", "7.5",
                "--scheduler", scheduler, "--latents", in.toString(), "--save-latents", saved.toString(),
                "--out", tmp.resolve("png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(saved.toString()), r.out());
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(saved)) {
            NDArray image = f.load("image", m);
            NDArray latents = f.load("latents", m);
            assertEquals(new Shape(1, 128, 128, 3), image.getShape());
            double imageErr = RefData.maxAbsDiff(image, ref.get(scheduler + ".image_np"));
            double latentErr = RefData.maxAbsDiff(latents, ref.get(scheduler + ".latents_out"));
            System.out.printf("cli --latents %-5s worst |image - diffusers| = %.3g, |latents - diffusers| = %.3g%n",
                    scheduler, imageErr, latentErr);
            assertTrue(imageErr <= 1e-3, "image " + imageErr);
            assertTrue(f.metadata().get("parameters").contains("Steps: 5"), f.metadata().toString());
        }
    }

    @Test
    void badArgumentsExit2WithOneLine() {
        Path wrong = tmp.resolve("wrong.safetensors");
        SafetensorsWriter.write(wrong, Map.of("latents", manager.zeros(new Shape(1, 4, 8, 8))));
        Path unnamed = tmp.resolve("unnamed.safetensors");
        SafetensorsWriter.write(unnamed, Map.of("noise", manager.zeros(new Shape(1, 4, 16, 16))));
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("--width", "100"), "--width 100 must be a positive multiple of 8");
        cases.put(List.of("--scheduler", "heun"), "--scheduler \"heun\" is not one of pndm, ddim");
        cases.put(List.of("--latents", wrong.toString(), "--width", "128", "--height", "128"),
                "--latents " + wrong + ": generation request: `latents` has shape (1, 4, 8, 8); this request needs"
                        + " (1, 4, 16, 16)");
        cases.put(List.of("--latents", unnamed.toString()), "has no tensor `latents`");
        cases.put(List.of("--latents", tmp.resolve("absent.safetensors").toString()), "file not found");
        cases.put(List.of("--dtype", "bf16"), "--dtype");
        cases.put(List.of("--steps", "0"), "--steps 0 must be at least 1");
        cases.put(List.of("--num-images", "2", "--latents", wrong.toString()), "needs (2, 4, 8, 8)");
        cases.put(List.of("--prompt-syntax", "comfy"), "--prompt-syntax: unknown prompt syntax \"comfy\"; use a1111 or plain");
        cases.put(List.of("--rng", "cuda"), "--rng: generation request: `rng` \"cuda\" is unknown; use torch or bkd");
        cases.put(List.of("--clip-skip", "0"), "--clip-skip: generation request: `clipSkip` = 0: must be at least 1");
        cases.put(List.of("--clip-skip", "3"), "clip skip 3 is out of range: this text encoder has 2 layers");
        cases.put(List.of("--negative-prompt", "a BREAK ".repeat(1000)),
                "negative prompt: needs more than 32 chunks of 75 tokens");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", models(), "--prompt", "x",
                    "--out", tmp.resolve("never").toString()));
            args.addAll(c.getKey());
            if (!c.getKey().contains("--steps")) {
                args.addAll(List.of("--steps", "1"));
            }
            Cli r = Cli.run(args.toArray(new String[0]));
            assertEquals(2, r.code(), c.getKey() + ": " + r.err());
            assertTrue(r.err().startsWith("bkd: ") && r.err().contains(c.getValue()), c.getKey() + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertFalse(Files.exists(tmp.resolve("never")), "nothing written on bad arguments");
        assertEquals(2, Cli.run("generate", "--model", models()).code(), "--prompt is required");

        Cli missing = Cli.run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
        assertEquals(1, missing.code(), missing.err());
        assertTrue(missing.err().startsWith("bkd: no folder " + tmp.resolve("nope")), missing.err());
        Cli hub = Cli.run("generate", "--model", "bkd-test/absent-model", "--prompt", "x");
        assertEquals(1, hub.code(), hub.err());
        assertTrue(hub.err().contains("bkd-test/absent-model (revision main) is not in the local Hugging Face cache"),
                hub.err());
    }

    /** A hub id through the real environment variable, in a child JVM (the in-process CLI sees this JVM's env). */
    @Test
    void hubIdResolvesInTheCacheNamedByHfHubCache() throws Exception {
        Path hub = tmp.resolve("hub");
        FakeHubCache.build(hub, "bkd-test/sd-tiny", RefData.models(), true);
        Path out = tmp.resolve("out");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", cp, BkdCli.class.getName(), "generate", "--model", "bkd-test/sd-tiny",
                "--prompt", "a red circle", "--steps", "1", "--seed", "3", "--out", out.toString())
                .redirectErrorStream(true);
        pb.environment().put("HF_HUB_CACHE", hub.toString());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), log);
        assertEquals(0, p.exitValue(), log);
        assertTrue(pngText(out.resolve("00000-3.png")).get("parameters").contains("Model: bkd-test/sd-tiny, RNG: CPU"), log);
    }

    private static Map<String, String> pngText(Path png) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        PngText.read(png).forEach((k, v) -> {
            assertEquals("tEXt", v.chunk(), "ASCII text goes in tEXt");
            out.put(k, v.text());
        });
        return out;
    }
}
