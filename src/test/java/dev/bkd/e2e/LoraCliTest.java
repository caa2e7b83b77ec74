package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.RefData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd lora} on the tiny reference pipeline, then {@code bkd generate --lora} with the file it wrote. */
class LoraCliTest {
    @TempDir
    Path tmp;

    private static final String PROMPT = "a red circle on a blue background";

    @Test
    void loraThenGenerateWithIt() throws IOException {
        String model = RefData.models().toString();
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("demo-data", "--out", data.toString(), "--count", "8", "--seed", "3").code());

        Path out = tmp.resolve("lora");
        // a high rate so that three steps move B well away from zero
        Cli l = Cli.run("lora", "--model", model, "--data", data.toString(), "--out", out.toString(), "--resolution",
                "32", "--rank", "4", "--alpha", "4", "--targets", "to_q,to_k,to_v,to_out.0,proj_in", "--steps", "3",
                "--batch", "4", "--lr", "5e-2", "--snr-gamma", "5", "--validation-prompt", PROMPT,
                "--validation-steps", "2");
        assertEquals(0, l.code(), l.err());
        Path file = out.resolve(LoraFiles.WEIGHT_NAME);
        assertTrue(l.out().contains("trained 3 steps; LoRA: " + file.toAbsolutePath().normalize()), l.out());
        assertTrue(l.out().contains("bkd generate --model " + model + " --lora " + file.toAbsolutePath().normalize()
                + ":1.0"), l.out());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertFalse(f.names().isEmpty());
            for (String k : f.names()) {
                assertTrue(k.matches("unet\\..+\\.(to_q|to_k|to_v|to_out\\.0|proj_in)\\.lora_[AB]\\.weight"), k);
            }
            String meta = f.metadata().get("lora_adapter_metadata");
            assertTrue(meta != null && meta.contains("\"unet.r\" : 4") && meta.contains("\"unet.lora_alpha\" : 4"),
                    "rank and alpha recorded for diffusers: " + meta);
        }
        for (String f : new String[] {"metrics.jsonl", "loss.png", "checkpoint-3/trainer_state.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(1, count(out.resolve("samples/base")), "the base model's sample, once");
        assertEquals(1, count(out.resolve("samples/step-3")), "the LoRA's sample");
        assertFalse(Files.exists(out.resolve(".validation-pipeline")), "scratch removed");

        BufferedImage plain = generate(model, "plain");
        BufferedImage zero = generate(model, "zero", "--lora", file + ":0");
        BufferedImage one = generate(model, "one", "--lora", out + ":1");
        assertArrayEquals(pixels(plain), pixels(zero), "--lora FILE:0 is the base model");
        assertFalse(java.util.Arrays.equals(pixels(plain), pixels(one)), "--lora FILE:1 changes the image");

        // keys that fit no layer are loaded around and reported on stderr
        Path extra = tmp.resolve("extra.safetensors");
        try (NDManager mm = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(f.loadAll(mm));
            tensors.put("unet.no_such_block.to_q.lora_A.weight", mm.zeros(new Shape(4, 32)));
            tensors.put("unet.no_such_block.to_q.lora_B.weight", mm.zeros(new Shape(32, 4)));
            SafetensorsWriter.write(extra, tensors, f.metadata());
        }
        Cli w = Cli.run("generate", "--model", model, "--prompt", PROMPT, "--steps", "2", "--lora", extra + ":0.5",
                "--out", tmp.resolve("w").toString());
        assertEquals(0, w.code(), w.err());
        assertTrue(w.err().contains("warning: LoRA " + extra) && w.err().contains("2 key(s) not placed")
                && w.err().contains("unet.no_such_block.to_q.lora_A.weight"), w.err());

        Path missing = tmp.resolve("nope.safetensors");
        Cli m = Cli.run("generate", "--model", model, "--prompt", PROMPT, "--steps", "2", "--lora", missing + ":0.5",
                "--out", tmp.resolve("x").toString());
        assertEquals(2, m.code(), m.err());
        assertTrue(m.err().contains("--lora") && m.err().contains(missing.toString()), m.err());
        Cli s = Cli.run("generate", "--model", model, "--prompt", PROMPT, "--steps", "2", "--lora", file + ":big",
                "--out", tmp.resolve("x").toString());
        assertEquals(2, s.code(), s.err());
        assertTrue(s.err().contains("--lora") && s.err().contains("`big`"), s.err());
        Cli e = Cli.run("generate", "--model", model, "--prompt", PROMPT, "--steps", "2", "--lora", file + ":",
                "--out", tmp.resolve("x").toString());
        assertEquals(2, e.code(), e.err());
        assertTrue(e.err().contains("--lora"), e.err());
    }

    @Test
    void badLoraArgumentsFailClearly() {
        String model = RefData.models().toString();
        Path data = tmp.resolve("data");
        assertEquals(0, Cli.run("demo-data", "--out", data.toString(), "--count", "2", "--seed", "3").code());
        String[] base = {"lora", "--model", model, "--data", data.toString(), "--out", tmp.resolve("o").toString(),
            "--resolution", "32", "--steps", "1", "--batch", "2"};
        Cli r = Cli.run(concat(base, "--rank", "0"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--rank must be a positive integer"), r.err());
        Cli t = Cli.run(concat(base, "--targets", "to_q,attn9.to_k"));
        assertEquals(1, t.code());
        assertTrue(t.err().contains("`attn9.to_k` matches no Linear or Conv2d layer"), t.err());
        Cli te = Cli.run(concat(base, "--train-text-encoder", "--text-encoder-targets", "q_proj,to_q"));
        assertEquals(1, te.code());
        assertTrue(te.err().contains("--text-encoder-targets: LoRA target `to_q` matches no"), te.err());
        assertFalse(Files.exists(tmp.resolve("o").resolve("metrics.jsonl")), "nothing trained");
    }

    private BufferedImage generate(String model, String name, String... extra) throws IOException {
        Path dir = tmp.resolve("gen-" + name);
        String[] args = concat(new String[] {"generate", "--model", model, "--prompt", PROMPT, "--steps", "3", "--seed",
            "1", "--out", dir.toString()}, extra);
        Cli g = Cli.run(args);
        assertEquals(0, g.code(), g.err());
        return ImageIO.read(Path.of(g.out().strip()).toFile());
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
