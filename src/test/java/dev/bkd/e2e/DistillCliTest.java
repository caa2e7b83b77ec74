package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.shapes.ShapesDataset;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd distill} on the tiny reference teacher with a generated dataset. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class DistillCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String[] args(Path data, Path out, Path cache, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("distill", "--teacher", RefData.models().toString(),
                "--variant", "tiny", "--data", data.toString(), "--out", out.toString(), "--batch", "2",
                "--resolution", "32", "--center-crop", "--checkpoint-every", "2", "--keep", "1",
                "--cache-latents", cache.toString(), "--ema", "--ema-decay", "0.9", "--lr", "1e-3", "--seed", "1",
                "--preset", "segmind", "--log-every", "100"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void writesAPipelineMetricsPlotSamplesAndCheckpointsThenResumes(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 6, 40, 5);
        Path out = tmp.resolve("out");
        Path cache = tmp.resolve("cache");
        Cli r = Cli.run(args(data, out, cache, "--steps", "4", "--validation-prompt", "a red circle",
                "--validation-steps", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote the student pipeline to " + out), r.out());

        for (String c : List.of("unet", "vae", "text_encoder", "tokenizer", "scheduler")) {
            assertTrue(Files.isDirectory(out.resolve(c)), c + "/ is missing");
        }
        JsonNode index = JSON.readTree(out.resolve("model_index.json").toFile());
        assertEquals("UNet2DConditionModel", index.get("unet").get(1).asText());
        JsonNode unet = JSON.readTree(out.resolve("unet/config.json").toFile());
        assertEquals(3, unet.get("down_block_types").size(), "the tiny student has three stages");
        assertTrue(unet.get("mid_block_type").isNull(), "the tiny student has no mid block");
        assertTrue(Files.size(out.resolve("unet/diffusion_pytorch_model.safetensors")) > 1_000_000);
        assertArrayEquals(Files.readAllBytes(RefData.models().resolve("vae/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(out.resolve("vae/diffusion_pytorch_model.safetensors")), "VAE copied as is");

        long tinyParams = JSON.readTree(RefData.ref("bksdm_losses.json").toFile()).at("/sd_tiny/student_num_params").asLong();
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(out, PipelineOptions.defaults())) {
            assertEquals(tinyParams, p.unet().parameterCount(), "the output loads as a pipeline with the tiny student");
        }

        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(4, lines.size());
        JsonNode last = JSON.readTree(lines.get(3));
        assertEquals(4, last.get("step").asInt());
        for (String k : List.of("loss", "loss_task", "loss_kd_out", "loss_kd_feat", "lr", "grad_norm", "img_per_s")) {
            assertTrue(last.get(k).isNumber(), k + " missing in " + last);
        }
        BufferedImage plot = ImageIO.read(out.resolve("loss.png").toFile());
        assertEquals(900, plot.getWidth());
        assertEquals(List.of("checkpoint-4"), names(out, "checkpoint-"), "--keep 1 keeps the newest only");
        assertEquals(1, names(out.resolve("samples/teacher"), "").size(), "one teacher sample per prompt");
        assertEquals(1, names(out.resolve("samples/step-4"), "").size(), "the final student sample");
        assertFalse(Files.exists(out.resolve(".validation-pipeline")), "scratch pipeline removed");
        assertTrue(Files.isRegularFile(RefData.models().resolve("vae/config.json")), "teacher untouched");

        Cli again = Cli.run(args(data, out, cache, "--steps", "6"));
        assertEquals(1, again.code());
        assertTrue(again.err().startsWith("bkd: ") && again.err().contains("--resume latest"), again.err());

        Cli resumed = Cli.run(args(data, out, cache, "--steps", "6", "--resume", "latest"));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(6, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        assertEquals(List.of("checkpoint-6"), names(out, "checkpoint-"));

        // continue distilling the written student: its variant comes from the prune lineage in its config
        Path more = tmp.resolve("more");
        Cli cont = Cli.run("distill", "--teacher", RefData.models().toString(), "--student", out.toString(),
                "--data", data.toString(), "--out", more.toString(), "--steps", "1", "--batch", "2", "--resolution", "32",
                "--preset", "segmind", "--cache-latents", cache.toString(), "--seed", "1", "--center-crop");
        assertEquals(0, cont.code(), cont.err());
        assertEquals(unet, JSON.readTree(more.resolve("unet/config.json").toFile()), "same student architecture");
    }

    static List<String> names(Path dir, String prefix) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix) && !n.startsWith("."))
                    .sorted().toList();
        }
    }

    @Test
    void badArgumentsExitTwoWithOneLine(@TempDir Path tmp) {
        Path data = tmp.resolve("data");
        Path out = tmp.resolve("out");
        Path cache = tmp.resolve("cache");
        String[][] bad = {
            {"distill", "--variant", "tiny", "--data", "d", "--out", "o"},
            args(data, out, cache, "--steps", "0"),
            args(data, out, cache, "--preset", "nope"),
            args(data, out, cache, "--variant", "huge"),
            args(data, out, cache, "--random-crop"),
            args(data, out, cache, "--lr-scheduler", "sometimes"),
            args(data, out, cache, "--device", "tpu"),
            args(data, out, cache, "--validate-every", "5"),
            {"distill", "--teacher", "t", "--data", "d", "--out", "o"},
        };
        for (String[] a : bad) {
            Cli r = Cli.run(a);
            assertEquals(2, r.code(), String.join(" ", a) + " -> " + r.err());
            assertTrue(r.err().startsWith("bkd: ") && r.err().strip().lines().count() == 1, r.err());
        }
        assertFalse(Files.exists(out), "nothing written for bad arguments");
    }

    @Test
    void aFeaturePairThatDoesNotExistFailsBeforeTraining(@TempDir Path tmp) {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 2, 32, 5);
        Cli r = Cli.run(args(data, tmp.resolve("out"), tmp.resolve("cache"), "--steps", "2",
                "--pair", "mid_block=mid_block"));
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("bkd: ") && r.err().contains("mid_block"), r.err());
        assertFalse(Files.exists(tmp.resolve("out/metrics.jsonl")), "no step was taken");
    }
}
