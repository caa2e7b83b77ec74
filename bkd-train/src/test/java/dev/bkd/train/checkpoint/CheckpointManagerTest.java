package dev.bkd.train.checkpoint;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.StateDict;
import dev.bkd.train.data.DataPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointManagerTest {
    @TempDir
    Path out;

    private static Map<String, Map<String, NDArray>> weights(NDManager m, float v) {
        return Map.of("student", Map.of("conv.weight", m.full(new ai.djl.ndarray.types.Shape(2, 2), v)),
                "optimizer", Map.of("conv.weight.step", m.create(7L)));
    }

    private List<String> names() throws IOException {
        try (var s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void savesKeepsTheLastKAndRoundTripsEverything() throws IOException {
        CheckpointManager cm = new CheckpointManager(out, 2);
        Generator rng = new Generator(42);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int step : new int[] {100, 200, 300}) {
                rng.nextLong();
                TrainerState st = TrainerState.of(step, new DataPosition(step / 200, step % 7))
                        .withRng("noise", rng).withExtra("ema_step", IntNode.valueOf(step));
                cm.save(st, weights(m, step));
            }
        }
        assertEquals(List.of("checkpoint-200", "checkpoint-300"), names());
        Path latest = cm.resolve("latest").orElseThrow();
        assertEquals(out.resolve("checkpoint-300"), latest);
        Checkpoint c = CheckpointManager.load(latest, Set.of("student", "optimizer"));
        assertEquals(300, c.step());
        assertEquals(new DataPosition(1, 300 % 7), c.state().data());
        assertEquals(300, c.state().extra().get("ema_step").asInt());
        long expectedNext = rng.nextLong();
        Generator restored = new Generator(0);
        c.state().restoreRng("noise", restored, latest.toString());
        assertEquals(expectedNext, restored.nextLong(), "the generator continues where it was saved");
        CheckpointException missing = assertThrows(CheckpointException.class,
                () -> c.state().restoreRng("timesteps", restored, latest.toString()));
        assertTrue(missing.getMessage().contains("`timesteps`"), missing.getMessage());
        try (NDManager m = NDManager.newBaseManager(); StateDict sd = c.open("student")) {
            assertArrayEquals(new float[] {300, 300, 300, 300}, sd.load("conv.weight", m).toFloatArray());
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> c.open("ema"));
        assertTrue(e.getMessage().contains("`ema`"), e.getMessage());
    }

    @Test
    void aCrashedSaveLeavesOnlyATempFolderWhichIsIgnoredAndCleaned() throws IOException {
        CheckpointManager cm = new CheckpointManager(out, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            cm.save(TrainerState.of(100, DataPosition.start()), weights(m, 1));
        }
        // what a crash during step 200's save leaves: a temp folder with some files, no trainer_state.json
        Path crashed = Files.createDirectory(out.resolve(".checkpoint-200.tmp-0123abcd-0000"));
        Files.write(crashed.resolve("student.safetensors"), new byte[] {1, 2, 3});
        assertEquals(out.resolve("checkpoint-100"), cm.latest().orElseThrow(), "the temp folder is not a checkpoint");
        new CheckpointManager(out, 0); // the next run starts
        assertEquals(List.of("checkpoint-100"), names());
    }

    @Test
    void aCrashDuringReplaceRestoresTheDisplacedCheckpoint() throws IOException {
        CheckpointManager cm = new CheckpointManager(out, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            cm.save(TrainerState.of(100, DataPosition.start()), weights(m, 1));
            Files.move(out.resolve("checkpoint-100"), out.resolve(".checkpoint-100.old-4567-89ab"));
            Files.createDirectory(out.resolve(".checkpoint-100.tmp-cdef"));
            new CheckpointManager(out, 0);
            assertEquals(List.of("checkpoint-100"), names());
            CheckpointManager.load(out.resolve("checkpoint-100"), Set.of("student"));
            cm.save(TrainerState.of(100, new DataPosition(0, 3)), weights(m, 2)); // same step: replaced whole
            assertEquals(3, CheckpointManager.load(out.resolve("checkpoint-100"), Set.of()).state().data().index());
            assertEquals(List.of("checkpoint-100"), names());
        }
    }

    @Test
    void loadNamesWhatIsMissingOrBroken() throws IOException {
        CheckpointManager cm = new CheckpointManager(out, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            cm.save(TrainerState.of(5, DataPosition.start()), weights(m, 1));
        }
        Path dir = out.resolve("checkpoint-5");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CheckpointManager.load(dir, Set.of("student", "ema")));
        assertTrue(e.getMessage().contains("weight set `ema` is missing"), e.getMessage());
        Files.write(dir.resolve("optimizer.safetensors"), new byte[] {9, 9});
        e = assertThrows(CheckpointException.class, () -> CheckpointManager.load(dir, Set.of()));
        assertTrue(e.getMessage().contains("optimizer.safetensors"), e.getMessage());
        Files.writeString(dir.resolve("trainer_state.json"), "{\"format\": \"bkd-checkpoint\", \"step\": 5,"
                + " \"data\": {\"epoch\": 0, \"index\": 0}, \"rng\": {\"noise\": \"xoshiro256++:12\"}}");
        e = assertThrows(CheckpointException.class, () -> CheckpointManager.load(dir, Set.of()));
        assertTrue(e.getMessage().contains("rng.noise"), e.getMessage());
        Files.writeString(dir.resolve("trainer_state.json"), "{\"format\": \"bkd-checkpoint\", \"step\": -1}");
        e = assertThrows(CheckpointException.class, () -> CheckpointManager.load(dir, Set.of()));
        assertTrue(e.getMessage().contains("`step`"), e.getMessage());
        Files.delete(dir.resolve("trainer_state.json"));
        e = assertThrows(CheckpointException.class, () -> CheckpointManager.load(dir, Set.of()));
        assertTrue(e.getMessage().contains("missing trainer_state.json"), e.getMessage());
        assertThrows(CheckpointException.class, () -> cm.resolve("checkpoint-999"));
        assertTrue(new CheckpointManager(out.resolve("fresh"), 1).resolve("latest").isEmpty());
    }
}
