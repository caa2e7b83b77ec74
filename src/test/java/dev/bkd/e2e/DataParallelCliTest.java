package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.testing.RefData;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --devices cpu,cpu} on distill and lora writes what {@code --grad-accum 2} on one device writes. */
class DataParallelCliTest {
    static String[] with(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static void assertSameFile(Path a, Path b) throws Exception {
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), a + " and " + b + " differ");
    }

    @Test
    void distillAndLoraOnTwoCpuReplicasEqualAccumulationOfTwo(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 4, 40, 5);
        String model = RefData.models().toString();
        List<String> distill = List.of("distill", "--teacher", model, "--variant", "tiny", "--data", data.toString(),
                "--batch", "1", "--resolution", "32", "--steps", "2", "--seed", "4", "--lr", "1e-3");
        Cli accum = Cli.run(with(distill, "--out", tmp.resolve("d-accum").toString(), "--grad-accum", "2"));
        assertEquals(0, accum.code(), accum.err());
        Cli dp = Cli.run(with(distill, "--out", tmp.resolve("d-dp").toString(), "--devices", "cpu,cpu"));
        assertEquals(0, dp.code(), dp.err());
        assertSameFile(tmp.resolve("d-accum/unet/diffusion_pytorch_model.safetensors"),
                tmp.resolve("d-dp/unet/diffusion_pytorch_model.safetensors"));

        List<String> lora = List.of("lora", "--model", model, "--data", data.toString(), "--resolution", "32",
                "--rank", "2", "--batch", "1", "--steps", "2", "--lr", "1e-2", "--seed", "4");
        Cli la = Cli.run(with(lora, "--out", tmp.resolve("l-accum").toString(), "--grad-accum", "2"));
        assertEquals(0, la.code(), la.err());
        Cli ld = Cli.run(with(lora, "--out", tmp.resolve("l-dp").toString(), "--devices", "cpu,cpu"));
        assertEquals(0, ld.code(), ld.err());
        assertSameFile(tmp.resolve("l-accum").resolve(LoraFiles.WEIGHT_NAME), tmp.resolve("l-dp").resolve(LoraFiles.WEIGHT_NAME));

        Cli bad = Cli.run(with(distill, "--out", tmp.resolve("x").toString(), "--devices", "cpu,tpu:0"));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--devices tpu:0 is not cpu, gpu, gpu:N or cuda:N"), bad.err());
    }
}
