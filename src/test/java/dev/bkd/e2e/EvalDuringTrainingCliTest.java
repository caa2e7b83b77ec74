package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.RefData;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bkd distill --eval-every}: validation loss (held-out {@code --eval-data}, else a fixed training batch named
 * apart) and CLIP score in the metrics, the best weights kept.
 */
class EvalDuringTrainingCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> rows(Path metrics) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(metrics)) {
            if (!l.isBlank()) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    @Test
    void evaluationIsLoggedKeepsTheBestAndLeavesTrainingUnchanged(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 6, 40, 5);
        Path heldOut = ShapesDataset.folder(tmp.resolve("held-out"), 3, 40, 77);
        Path prompts = tmp.resolve("eval-prompts.txt");
        Files.writeString(prompts, "a red circle on a blue background\na green square on a white background\n");
        Path cache = tmp.resolve("cache");
        Path plain = tmp.resolve("plain");
        Path evald = tmp.resolve("evald");
        Cli a = Cli.run(DistillCliTest.args(data, plain, cache, "--steps", "4"));
        assertEquals(0, a.code(), a.err());
        List<String> more = new ArrayList<>(List.of(DistillCliTest.args(data, evald, cache, "--steps", "4")));
        more.addAll(List.of("--eval-every", "2", "--eval-data", heldOut.toString(), "--eval-prompts", prompts.toString(), "--eval-steps", "2",
                "--clip", RefData.file("eval", "clip_tiny").toString(), "--keep-best", "clip_score"));
        Cli b = Cli.run(more.toArray(String[]::new));
        assertEquals(0, b.code(), b.err());

        List<JsonNode> p = rows(plain.resolve("metrics.jsonl"));
        List<JsonNode> e = rows(evald.resolve("metrics.jsonl"));
        assertEquals(4, e.size());
        double best = Double.NEGATIVE_INFINITY;
        long bestStep = -1;
        for (int i = 0; i < 4; i++) {
            // the evaluation draws its batch and pictures without touching the run's data order or noise
            assertEquals(p.get(i).get("loss").asDouble(), e.get(i).get("loss").asDouble(), 0.0, "step " + (i + 1));
            boolean evalStep = (i + 1) % 2 == 0;
            assertEquals(evalStep, e.get(i).has("clip_score"), "row " + e.get(i));
            assertEquals(evalStep, e.get(i).has("val_loss"), "row " + e.get(i));
            if (evalStep) {
                double v = e.get(i).get("clip_score").asDouble();
                assertTrue(Double.isFinite(v) && v >= 0, "clip score " + v);
                assertTrue(Double.isFinite(e.get(i).get("val_loss").asDouble()));
                if (v > best) {
                    best = v;
                    bestStep = i + 1;
                }
            }
        }
        assertNotEquals(e.get(1).get("val_loss").asDouble(), e.get(3).get("val_loss").asDouble(),
                "the student changed between the evaluations");
        JsonNode kept = JSON.readTree(evald.resolve("best/best.json").toFile());
        assertEquals("clip_score", kept.get("metric").asText());
        assertEquals(bestStep, kept.get("step").asLong());
        assertEquals(best, kept.get("value").asDouble(), 1e-12);
        assertTrue(Files.isRegularFile(evald.resolve("best/unet/diffusion_pytorch_model.safetensors")));
        assertTrue(Files.isRegularFile(evald.resolve("loss.png")));

        // a run stopped at step 2 and resumed evaluates on the same batch: step 4 matches the uninterrupted run
        Path resumed = tmp.resolve("resumed");
        String[] evalArgs = {"--eval-every", "2", "--eval-data", heldOut.toString(), "--eval-prompts", prompts.toString(), "--eval-steps", "2", "--clip",
            RefData.file("eval", "clip_tiny").toString(), "--keep-best", "val_loss"};
        List<String> first = new ArrayList<>(List.of(DistillCliTest.args(data, resumed, cache, "--steps", "2")));
        first.addAll(List.of(evalArgs));
        assertEquals(0, Cli.run(first.toArray(String[]::new)).code());
        List<String> second = new ArrayList<>(List.of(DistillCliTest.args(data, resumed, cache, "--steps", "4",
                "--resume", "latest")));
        second.addAll(List.of(evalArgs));
        Cli c = Cli.run(second.toArray(String[]::new));
        assertEquals(0, c.code(), c.err());
        List<JsonNode> r = rows(resumed.resolve("metrics.jsonl"));
        assertEquals(e.get(3).get("val_loss").asDouble(), r.get(r.size() - 1).get("val_loss").asDouble(), 1e-6);
        JsonNode lowest = JSON.readTree(resumed.resolve("best/best.json").toFile());
        assertEquals(Math.min(r.get(1).get("val_loss").asDouble(), r.get(r.size() - 1).get("val_loss").asDouble()),
                lowest.get("value").asDouble(), 1e-12, "val_loss: lower is better, across the resume");

        // without --eval-data: the same weights at step 2, measured on a fixed training batch, named apart
        Path fixed = tmp.resolve("fixed");
        Cli f = Cli.run(DistillCliTest.args(data, fixed, cache, "--steps", "2", "--eval-every", "2"));
        assertEquals(0, f.code(), f.err());
        JsonNode fr = rows(fixed.resolve("metrics.jsonl")).get(1);
        assertFalse(fr.has("val_loss"), "a training batch is not a validation loss: " + fr);
        assertEquals(p.get(1).get("loss").asDouble(), fr.get("loss").asDouble(), 0.0, "same weights at step 2");
        assertTrue(Double.isFinite(fr.get("fixed_train_loss").asDouble()));
        assertNotEquals(fr.get("fixed_train_loss").asDouble(), e.get(1).get("val_loss").asDouble(),
                "held-out images give another loss than the training batch");

        Cli keep = Cli.run(DistillCliTest.args(data, tmp.resolve("keep"), cache, "--steps", "2", "--eval-every", "1",
                "--keep-best", "val_loss"));
        assertEquals(1, keep.code());
        assertTrue(keep.err().contains("--eval-data"), keep.err());
        Path missing = tmp.resolve("no-such-folder");
        Path empty = Files.createDirectories(tmp.resolve("empty-folder"));
        for (Path dir : List.of(missing, empty)) {
            Cli b2 = Cli.run(DistillCliTest.args(data, tmp.resolve("bad-" + dir.getFileName()), cache, "--steps", "2",
                    "--eval-every", "1", "--eval-data", dir.toString()));
            assertEquals(1, b2.code(), b2.err());
            assertTrue(b2.err().contains("--eval-data") && b2.err().contains(dir.getFileName().toString()), b2.err());
        }

        Cli bad = Cli.run(DistillCliTest.args(data, tmp.resolve("bad"), cache, "--steps", "2", "--eval-every", "1",
                "--eval-prompts", prompts.toString()));
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--clip"), bad.err());
    }

    @Test
    void finetuneAndLoraTakeHeldOutImagesAlsoAsWebdataset(@TempDir Path tmp) throws Exception {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 4, 40, 5);
        Path heldOut = ShapesDataset.folder(tmp.resolve("held-out"), 4, 40, 77);
        Path shards = CacheCliTest.webdataset(heldOut, tmp.resolve("shards"));
        String model = RefData.models().toString();
        for (String[] run : List.of(
                new String[] {"finetune", "--eval-data", shards.resolve("{00000..00001}.tar").toString()},
                new String[] {"lora", "--eval-data", heldOut.toString(), "--eval-batch", "2"})) {
            Path out = tmp.resolve(run[0]);
            List<String> a = new ArrayList<>(List.of(run[0], "--model", model, "--data", data.toString(), "--out",
                    out.toString(), "--resolution", "32", "--steps", "1", "--batch", "2", "--checkpoint-every", "0",
                    "--eval-every", "1"));
            a.addAll(List.of(run).subList(1, run.length));
            Cli c = Cli.run(a.toArray(String[]::new));
            assertEquals(0, c.code(), c.err());
            JsonNode row = rows(out.resolve("metrics.jsonl")).get(0);
            assertTrue(Double.isFinite(row.get("val_loss").asDouble()), run[0] + ": " + row);
            assertFalse(row.has("fixed_train_loss"), run[0] + ": " + row);
        }
    }
}
