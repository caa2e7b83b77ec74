package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.io.FileTrees;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 5: NaN/Inf at inference used to give an all-black PNG and exit 0. Each source now fails with a
 * message naming it, and no image is written.
 */
class NonFiniteCliTest {
    private static final String LAYER = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
    /** Adds straight into the residual stream: a huge scale here overflows the next normalisation. */
    private static final String OUT_LAYER = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0";

    @TempDir
    Path tmp;

    private Cli generate(String model, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "--model", model, "--prompt", "a red circle",
                "--steps", "2", "--seed", "1", "--out", tmp.resolve("out").toString()));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private void assertNoImage(Cli r, String... mentions) throws Exception {
        assertNotEquals(0, r.code(), r.out());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "expected `" + m + "` in: " + r.err());
        }
        Path out = tmp.resolve("out");
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(), s.toList(), "no image may be written");
            }
        }
    }

    /** A rank-2 LoRA on one projection of the tiny UNet, 0.1 everywhere, one NaN in A when {@code value} is NaN. */
    private Path lora(String layer, float value) throws Exception {
        long in;
        long out;
        try (SafetensorsFile f = SafetensorsFile.open(RefData.models().resolve("unet/diffusion_pytorch_model.safetensors"))) {
            in = f.entry(layer + ".weight").shape().get(1);
            out = f.entry(layer + ".weight").shape().get(0);
        }
        Path file = tmp.resolve("lora-" + value + ".safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            NDArray a = m.full(new Shape(2, in), 0.1f);
            if (Float.isNaN(value)) {
                a.set(new ai.djl.ndarray.index.NDIndex("1, 3"), Float.NaN);
            }
            t.put("unet." + layer + ".lora_A.weight", a);
            t.put("unet." + layer + ".lora_B.weight", m.full(new Shape(out, 2), 0.1f));
            SafetensorsWriter.write(file, t);
        }
        return file;
    }

    @Test
    void aNanInALoraFileIsRefusedAtLoadNamingTheTensor() throws Exception {
        Path f = lora(LAYER, Float.NaN);
        assertNoImage(generate(RefData.models().toString(), "--lora", f.toString()), f.toString(),
                "unet." + LAYER + ".lora_A.weight", "NaN/Inf");
    }

    @Test
    void aHugeLoraScaleIsNamed() throws Exception {
        Path f = lora(OUT_LAYER, 1);
        assertNoImage(generate(RefData.models().toString(), "--lora", f + ":1e30"), "no image was decoded",
                "LoRA `default_0` at scale 1.0E30", f.toString());
    }

    @Test
    void aHugeGuidanceIsNamed() throws Exception {
        assertNoImage(generate(RefData.models().toString(), "--guidance", "1e30"), "no image was decoded",
                "guidance scale 1.0E30");
    }

    @Test
    void nanLatentsAreRefusedNamingTheFile() throws Exception {
        Path f = tmp.resolve("latents.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray l = m.zeros(new Shape(1, 4, 8, 8));
            l.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0, 0"), Float.NaN);
            SafetensorsWriter.write(f, Map.of("latents", l));
        }
        assertNoImage(generate(RefData.models().toString(), "--latents", f.toString()), "--latents " + f, "NaN/Inf");
    }

    @Test
    void aNanUnetWeightIsNamed() throws Exception {
        Path model = tmp.resolve("model");
        FileTrees.copy(RefData.models(), model);
        Path w = model.resolve("unet/diffusion_pytorch_model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>(RefData.load(w, m));
            NDArray bad = t.get(LAYER + ".weight").duplicate();
            bad.set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
            t.put(LAYER + ".weight", bad);
            SafetensorsWriter.write(w, t);
        }
        assertNoImage(generate(model.toString()), "no image was decoded", "unet weight `" + LAYER + ".weight`");
    }
}
