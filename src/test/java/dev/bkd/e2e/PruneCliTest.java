package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.testing.MacArithmetic;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PruneCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The pruned pipeline loads; its UNet reproduces prepare_unet's student on bksdm.safetensors' fixed batch. */
    @ParameterizedTest
    @CsvSource({"sd_small, sd_small, base", "base, sd_small, base", "sd_tiny, sd_tiny, tiny"})
    void prunedPipelineLoadsAndMatchesTheReferenceStudent(String variant, String key, String name, @TempDir Path tmp)
            throws Exception {
        JsonNode losses = JSON.readTree(RefData.ref("bksdm_losses.json").toFile());
        Path out = tmp.resolve("student");
        Cli r = Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", variant, "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(String.format("%,d -> %,d", losses.get("teacher_num_params").asLong(),
                losses.at("/" + key + "/student_num_params").asLong())), r.out());
        assertTrue(r.out().contains("removed:") && r.out().contains("down_blocks.0.resnets.1"), r.out());
        assertEquals(name.equals("tiny"), r.out().contains("down_blocks.3,"), r.out());

        // complete pipeline folder: the other components byte-identical to the teacher's
        for (String f : List.of("model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json",
                "tokenizer/merges.txt", "text_encoder/config.json", "text_encoder/model.safetensors", "vae/config.json",
                "vae/diffusion_pytorch_model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(RefData.models().resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ClipTextModel.fromPretrained(out.resolve("text_encoder"), m, Weights.LoadOptions.strictFp32());
            AutoencoderKL.fromPretrained(out.resolve("vae"), m, Weights.LoadOptions.strictFp32());
            ClipTokenizer.fromPretrained(out.resolve("tokenizer")).close();

            // the student's own config (Segmind's checkpoints carried the teacher's and did not load)
            UNet2DConditionConfig c = UNet2DConditionConfig.read(out.resolve("unet/config.json"));
            assertEquals(List.of(1), c.layersPerBlock().stream().distinct().toList());
            assertEquals(name.equals("base"), c.midBlockType() != null);
            JsonNode lineage = JSON.readTree(out.resolve("unet/config.json").toFile()).get("_bkd_pruned_from");
            assertEquals(name, lineage.get("variant").asText());
            assertEquals(RefData.models().toString(), lineage.get("teacher").asText());

            Map<String, NDArray> ref = RefData.load(RefData.ref("bksdm.safetensors"), m);
            try (UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(out.resolve("unet"),
                    UNet2DConditionModel.Options.defaults())) {
                NDArray pred = unet.forward(ref.get("noisy_latents"), ref.get("timesteps"),
                        ref.get("encoder_hidden_states"));
                double err = RefData.maxAbsDiff(ref.get(key + ".pred"), pred);
                System.out.printf("prune %s: %s.pred max abs error %.3g%n", variant, key, err);
                assertTrue(err <= 1e-4, key + ".pred max abs error " + err);
            }
        }
        assertEquals(List.of("student"), names(tmp), "no temporary siblings left");
    }

    /** inspect: per-block table whose totals equal the reference count and an independent MAC count, plus lineage. */
    @Test
    void inspectShowsBlocksMacsAndTheRemovedTeacherBlocks(@TempDir Path tmp) throws Exception {
        JsonNode losses = JSON.readTree(RefData.ref("bksdm_losses.json").toFile());
        Path out = tmp.resolve("tiny");
        assertEquals(0, Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", "tiny", "--out",
                out.toString()).code());
        Cli r = Cli.run("inspect", out.resolve("unet").toString(), "--no-tensors");
        assertEquals(0, r.code(), r.err());
        UNet2DConditionConfig c = UNet2DConditionConfig.read(out.resolve("unet/config.json"));
        assertTrue(r.out().matches("(?s).*\\n  total\\s+" + String.format("%,d", losses.at("/sd_tiny/student_num_params")
                .asLong()) + "\\s+" + String.format("%,d", MacArithmetic.unet(c, 16, 77)) + "\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  up 0 +up_blocks.0 +CrossAttnUpBlock2D +2 +2 .*"), r.out());
        assertFalse(r.out().contains("mid_block "), "no mid row: " + r.out());
        assertTrue(r.out().contains("removed teacher blocks: down_blocks.0.resnets.1, down_blocks.0.attentions.1,")
                && r.out().contains("down_blocks.3, mid_block, up_blocks.0,"), r.out());

        Cli teacher = Cli.run("inspect", RefData.models().toString());
        UNet2DConditionConfig t = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        assertTrue(teacher.out().matches("(?s).*\\n  total\\s+" + String.format("%,d", losses.get("teacher_num_params")
                .asLong()) + "\\s+" + String.format("%,d", MacArithmetic.unet(t, 16, 77)) + "\\n.*"), teacher.out());
        assertFalse(teacher.out().contains("removed teacher blocks"), teacher.out());
    }

    @Test
    void aUnetFolderTeacherGivesAUnetFolder(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("unet_small");
        Cli r = Cli.run("prune", "--teacher", RefData.models().resolve("unet").toString(), "--variant", "small",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("config.json", "diffusion_pytorch_model.safetensors"), names(out));
        assertNull(UNet2DConditionConfig.read(out.resolve("config.json")).midBlockType());
    }

    @Test
    void refusesANonEmptyOutputUnlessForced(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        Cli r = Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", "tiny", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("bkd: ") && r.err().contains("not empty") && r.err().contains("--force"), r.err());
        assertEquals(List.of("keep.txt"), names(out));

        Cli f = Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", "tiny", "--out", out.toString(),
                "--force");
        assertEquals(0, f.code(), f.err());
        assertFalse(Files.exists(out.resolve("keep.txt")));
        assertTrue(Files.isRegularFile(out.resolve("unet/diffusion_pytorch_model.safetensors")));
        assertEquals(List.of("out"), names(tmp), "the replaced folder and the temporary one are gone");

        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        assertEquals(0, Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", "base", "--out",
                empty.toString()).code(), "an empty --out is fine");
    }

    /** A failure after other components were copied (broken teacher UNet weights) leaves no output at all. */
    @Test
    void neverLeavesAHalfWrittenFolder(@TempDir Path tmp) throws Exception {
        Path teacher = tmp.resolve("teacher");
        copyTree(RefData.models(), teacher);
        Path weights = teacher.resolve("unet/diffusion_pytorch_model.safetensors");
        weights.toFile().setWritable(true);
        Files.write(weights, new byte[] {1, 2, 3, 4});
        Path outs = tmp.resolve("outs");
        Files.createDirectories(outs);
        Cli r = Cli.run("prune", "--teacher", teacher.toString(), "--variant", "tiny", "--out",
                outs.resolve("s").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("diffusion_pytorch_model.safetensors"), r.err());
        assertEquals(List.of(), names(outs));
    }

    @Test
    void badVariantsAndSpecs(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Cli unknown = Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", "medium", "--out",
                out.toString());
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("\"medium\"") && unknown.err().contains("sd_tiny = tiny"), unknown.err());

        Path spec = tmp.resolve("bad.json");
        Files.writeString(spec, "{\"down_blocks\": {\"resnets\": [0]}, \"up_blocks\": {\"resnets\": [0, 3]}}");
        Cli bad = Cli.run("prune", "--teacher", RefData.models().toString(), "--variant", spec.toString(), "--out",
                out.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("bad.json") && bad.err().contains("`up_blocks.resnets` index 3 is out of range"),
                bad.err());
        assertFalse(Files.exists(out));

        assertEquals(2, Cli.run("prune", "--teacher", RefData.models().toString(), "--out", out.toString()).code());
        Cli help = Cli.run("prune", "--help");
        assertTrue(help.out().contains("base (Segmind's sd_small)") && help.out().contains("tiny (Segmind's sd_tiny)"),
                help.out());
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void copyTree(Path src, Path dst) throws Exception {
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
