package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFilesTest {
    @TempDir
    Path dir;

    private Path touch(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "x");
    }

    /** File names as diffusers/transformers save them (their _add_variant). */
    @Test
    void variantNamesMatchDiffusers() {
        assertEquals("diffusion_pytorch_model.fp16.safetensors",
                WeightFiles.addVariant("diffusion_pytorch_model.safetensors", "fp16"));
        assertEquals("diffusion_pytorch_model.safetensors.index.fp16.json",
                WeightFiles.addVariant("diffusion_pytorch_model.safetensors.index.json", "fp16"));
        assertEquals("model.ema.safetensors", WeightFiles.addVariant("model.safetensors", "ema"));
    }

    @Test
    void findsReferenceComponents() {
        assertEquals(RefData.models().resolve("unet/diffusion_pytorch_model.safetensors"),
                WeightFiles.resolve(RefData.models().resolve("unet"), null));
        assertEquals(RefData.models().resolve("text_encoder/model.safetensors"),
                WeightFiles.resolve(RefData.models().resolve("text_encoder"), ""));
    }

    @Test
    void prefersTheVariantAndTheIndexLikeDiffusers() throws IOException {
        touch("diffusion_pytorch_model.safetensors");
        Path fp16 = touch("diffusion_pytorch_model.fp16.safetensors");
        assertEquals(fp16, WeightFiles.resolve(dir, "fp16"));
        Path idx = touch("diffusion_pytorch_model.safetensors.index.fp16.json");
        assertEquals(idx, WeightFiles.resolve(dir, "fp16"));
        Path text = Files.createDirectory(dir.resolve("te"));
        Path te = Files.writeString(text.resolve("model.fp16.safetensors"), "x");
        assertEquals(te, WeightFiles.resolve(text, "fp16"));
    }

    @Test
    void missingVariantFallsBackWithAWarning() throws IOException {
        Path def = touch("diffusion_pytorch_model.safetensors");
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Path got;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            got = WeightFiles.resolve(dir, "fp16");
        } finally {
            System.setErr(saved);
        }
        assertEquals(def, got);
        String log = captured.toString(StandardCharsets.UTF_8);
        System.out.println("logged: " + log.strip());
        assertTrue(log.contains("WARN") && log.contains("no 'fp16' variant weights")
                && log.contains("diffusion_pytorch_model.fp16.safetensors")
                && log.contains("using the default weights diffusion_pytorch_model.safetensors"), log);
    }

    @Test
    void pickleOnlyFoldersGiveThePickleShardedOnesAreRefused() throws IOException {
        Path bin = touch("diffusion_pytorch_model.fp16.bin");
        touch("config.json");
        assertEquals(bin, WeightFiles.resolve(dir, "fp16"));
        Files.delete(bin);
        Path index = touch("pytorch_model.bin.index.json");
        PickleCheckpointException e = assertThrows(PickleCheckpointException.class, () -> WeightFiles.resolve(dir, null));
        assertTrue(e.getMessage().startsWith(index.toString()) && e.getMessage().contains("sharded"), e.getMessage());
        Path plain = touch("pytorch_model.bin");
        assertEquals(plain, WeightFiles.resolve(dir, null));
        Files.delete(plain);
        Files.delete(index);
        Path ckpt = touch("sd-v1-5.ckpt");
        WeightFileException w = assertThrows(WeightFileException.class, () -> WeightFiles.resolve(dir, null));
        assertTrue(w.getMessage().startsWith(dir.toString()) && w.getMessage().contains("sd-v1-5.ckpt")
                && w.getMessage().contains("Rename"), w.getMessage());
    }

    @Test
    void nothingFoundListsWhatWasLookedFor() throws IOException {
        touch("config.json");
        WeightFileException e = assertThrows(WeightFileException.class, () -> WeightFiles.resolve(dir, "fp16"));
        System.out.println("rejected: " + e.getMessage());
        for (String n : new String[] {"diffusion_pytorch_model.fp16.safetensors",
            "diffusion_pytorch_model.safetensors.index.fp16.json", "model.fp16.safetensors",
            "diffusion_pytorch_model.safetensors", "model.safetensors.index.json", "holds: config.json"}) {
            assertTrue(e.getMessage().contains(n), n + " in " + e.getMessage());
        }
        e = assertThrows(WeightFileException.class, () -> WeightFiles.resolve(dir.resolve("config.json"), null));
        assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
    }
}
