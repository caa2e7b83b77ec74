package dev.bkd.train.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.ChildJvm;
import dev.bkd.train.checkpoint.CheckpointManager;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.checkpoint.TrainerState;
import dev.bkd.train.loop.PipelineExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, items 2 and 3: a run killed while its final export replaces an earlier export, or while it prunes an
 * old checkpoint, leaves every folder under a final name whole (before the fix the old component was deleted
 * before its replacement was renamed in: a half-deleted {@code unet/} next to the old model_index.json), and the
 * next start removes the hidden leftovers.
 */
class ExportKillTest {
    @TempDir
    Path dir;

    /** Child: {@code export BASE OUT TAG} writes a pipeline whose unet holds TAG; {@code checkpoints OUT} saves 3, keeps 1. */
    public static void main(String[] args) throws IOException {
        if (args[0].equals("export")) {
            PipelineExport.write(Path.of(args[1]), "unet", d -> files(d, args[3]), Path.of(args[2]));
            return;
        }
        CheckpointManager cm = new CheckpointManager(Path.of(args[1]), 1);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int step = 1; step <= 2; step++) {
                cm.save(TrainerState.of(step, DataPosition.start()), Map.of("student",
                        Map.of("a", m.ones(new ai.djl.ndarray.types.Shape(2)), "b", m.zeros(new ai.djl.ndarray.types.Shape(2)))));
            }
        }
    }

    private static void files(Path d, String tag) throws IOException {
        Files.createDirectories(d);
        for (String n : List.of("config.json", "diffusion_pytorch_model.safetensors", "extra.bin")) {
            Files.writeString(d.resolve(n), tag + " " + n);
        }
    }

    private Path base() throws IOException {
        Path base = dir.resolve("base");
        Files.createDirectories(base);
        Files.writeString(base.resolve("model_index.json"),
                "{\"_class_name\": \"StableDiffusionPipeline\", \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],"
                        + " \"vae\": [\"diffusers\", \"AutoencoderKL\"]}");
        files(base.resolve("unet"), "base");
        files(base.resolve("vae"), "base");
        return base;
    }

    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(root.relativize(p).toString(), Files.readString(p));
            }
        }
        return m;
    }

    @Test
    void aKillWhileReplacingAnExportLeavesWholeComponents() throws Exception {
        Path base = base();
        Path out = dir.resolve("out");
        PipelineExport.write(base, "unet", d -> files(d, "first"), out);
        ChildJvm.Result r = ChildJvm.run(ExportKillTest.class, "delete.partly", "export", base.toString(),
                out.toString(), "second");
        assertTrue(r.halted(), r.output());
        Map<String, String> unet = tree(out.resolve("unet"));
        assertEquals(3, unet.size(), "unet/ must be whole, not half-deleted: " + unet);
        assertEquals(1, unet.values().stream().map(v -> v.split(" ")[0]).distinct().count(), unet.toString());
        assertEquals(3, tree(out.resolve("vae")).size());
        // the next export (or training start) on the same output cleans the hidden rest up
        PipelineExport.write(base, "unet", d -> files(d, "third"), out);
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList());
        }
        assertEquals("third config.json", Files.readString(out.resolve("unet/config.json")));
    }

    @Test
    void aKillWhilePruningACheckpointLeavesNoHalfCheckpoint() throws Exception {
        Path out = dir.resolve("run");
        ChildJvm.Result r = ChildJvm.run(ExportKillTest.class, "delete.partly", "checkpoints", out.toString());
        assertTrue(r.halted(), r.output());
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).toList()) {
                CheckpointManager.load(p, java.util.Set.of("student")); // whole, or not under its name at all
            }
        }
        new CheckpointManager(out, 1);
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of("checkpoint-2"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
