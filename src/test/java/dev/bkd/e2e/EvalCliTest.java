package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.testing.CounterRecipe;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.eval.FrechetDistance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd eval} end to end: the tiny reference pipeline, the eval reference set's CLIP and FID Inception. */
class EvalCliTest {
    @TempDir
    static Path shared;
    static Path inception;

    @BeforeAll
    static void weights() {
        inception = CounterRecipe.fidInception().writeSafetensors(shared.resolve("fid_inception.safetensors"));
    }

    static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    static String clip() {
        return RefData.file("eval", "clip_tiny").toString();
    }

    @Test
    void twoModelsSameSeedsThenResume(@TempDir Path tmp) throws IOException {
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "a red circle\n\na blue square\na green triangle\nan orange star\n");
        String model = RefData.models().toString();
        String[] args = {"eval", "--model", model, "--model", model, "--prompts", prompts.toString(), "--limit", "3",
            "--seed", "7", "--steps", "2", "--batch", "2", "--clip", clip(), "--inception", inception.toString(),
            "--out", tmp.resolve("out").toString()};
        Cli first = Cli.run(args);
        assertEquals(0, first.code(), first.err());
        Path a = tmp.resolve("out/models");
        Path b = tmp.resolve("out/models-2");
        for (int i = 0; i < 3; i++) {
            String f = String.format("%05d.png", i);
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)),
                    "same pipeline, same seed: same picture " + f);
        }
        assertFalse(Files.exists(a.resolve("00003.png")), "--limit 3");
        assertTrue(Files.isRegularFile(tmp.resolve("out/grid.png")));
        assertTrue(Files.readString(tmp.resolve("out/eval.md")).contains("| models-2 | 3 |"));
        JsonNode report = json(tmp.resolve("out/eval.json"));
        JsonNode m0 = report.get("models").get(0);
        JsonNode m1 = report.get("models").get(1);
        assertTrue(m0.get("fid").isNull(), "the first model is the reference");
        assertEquals(0.0, m1.get("fid").asDouble(), 1e-3, "identical pictures: FID 0");
        assertEquals(0.0, m1.get("fd_clip").asDouble(), 1e-6);
        assertEquals(m0.get("clip_score").asDouble(), m1.get("clip_score").asDouble(), 1e-9);
        assertTrue(m0.get("latency_s_per_image").asDouble() > 0);
        assertTrue(first.err().contains("ETA"), "progress bar: " + first.err());

        Cli again = Cli.run(args);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("reusing 6 pictures"), again.err());
        assertEquals(report.get("models"), json(tmp.resolve("out/eval.json")).get("models"));

        String[] changed = args.clone();
        changed[java.util.Arrays.asList(args).indexOf("--steps") + 1] = "3";
        Cli other = Cli.run(changed);
        assertEquals(1, other.code());
        assertTrue(other.err().contains("other settings (steps"), other.err());
    }

    @Test
    void captionedFolderGivesTorchmetricsClipScore(@TempDir Path tmp) throws IOException {
        JsonNode ref = json(RefData.file("eval", "ref/clip_score.json"));
        Path dir = Files.createDirectories(tmp.resolve("captioned"));
        StringBuilder meta = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            String f = ref.get("files").get(i).asText();
            Files.copy(RefData.file("eval", "images/" + f), dir.resolve(f));
            meta.append(new ObjectMapper().createObjectNode().put("file_name", f)
                    .put("text", ref.get("captions").get(i).asText())).append('\n');
        }
        Files.writeString(dir.resolve("metadata.jsonl"), meta.toString());
        Cli r = Cli.run("eval", "--images", dir.toString(), "--clip", clip(), "--out", tmp.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        double got = json(tmp.resolve("out/eval.json")).get("models").get(0).get("clip_score").asDouble();
        assertEquals(7.294666290283203, got, 1e-3);
    }

    @Test
    void twoFoldersFidEqualsTheDistanceOfPytorchFidFeatures(@TempDir Path tmp) throws IOException {
        List<Path> files;
        try (var s = Files.list(RefData.file("eval", "fid_images"))) {
            files = s.sorted().toList();
        }
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        for (int i = 0; i < 4; i++) {
            Files.copy(files.get(i), (i < 2 ? a : b).resolve(files.get(i).getFileName()));
        }
        Cli r = Cli.run("eval", "--images", a.toString(), "--reference-images", b.toString(), "--inception",
                inception.toString(), "--clip", clip(), "--out", tmp.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        double got = json(tmp.resolve("out/eval.json")).get("models").get(0).get("fid").asDouble();
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = RefData.load(RefData.file("eval", "ref/fid_features.safetensors"), m);
            float[] f = ref.get("features").toFloatArray();
            float[][] rows = new float[4][];
            for (int i = 0; i < 4; i++) {
                rows[i] = java.util.Arrays.copyOfRange(f, i * 2048, (i + 1) * 2048);
            }
            double want = FrechetDistance.between(new float[][] {rows[0], rows[1]}, new float[][] {rows[2], rows[3]});
            assertEquals(want, got, 1e-4 * want);
        }
        assertTrue(json(tmp.resolve("out/eval.json")).get("models").get(0).get("clip_score").isNull(),
                "no captions, no CLIP score");
    }

    @Test
    void badArgumentsAreOneLineErrors(@TempDir Path tmp) {
        Cli none = Cli.run("eval", "--out", tmp.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("nothing to evaluate"), none.err());
        Cli noPrompts = Cli.run("eval", "--model", RefData.models().toString(), "--out", tmp.toString());
        assertEquals(2, noPrompts.code());
        assertTrue(noPrompts.err().contains("--prompts"), noPrompts.err());
        Cli badPrompts = Cli.run("eval", "--model", RefData.models().toString(), "--prompts",
                tmp.resolve("missing.txt").toString(), "--out", tmp.toString());
        assertEquals(1, badPrompts.code());
        assertTrue(badPrompts.err().contains("missing.txt"), badPrompts.err());
    }
}
