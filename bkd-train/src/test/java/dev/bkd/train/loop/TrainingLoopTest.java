package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.train.NonFiniteLossException;
import dev.bkd.train.checkpoint.CheckpointException;
import dev.bkd.train.checkpoint.CheckpointManager;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.log.MetricsWriter;
import dev.bkd.train.log.ProgressBar;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/** The shared loop with a toy objective (a 16x4 linear map): accumulation, NaN, SIGINT, memory, resume checks. */
class TrainingLoopTest {
    static final ForwardProcess DDPM = new ForwardProcess(SchedulerConfig.defaults());

    /** Item i is a fixed (1, 1, 4, 4) array drawn from Generator(i); items come in order 0, 1, 2, ... */
    static class Items implements BatchSource {
        final int batch;
        long next;

        Items(int batch) {
            this.batch = batch;
        }

        @Override
        public CleanBatch next(NDManager m, Generator rng) {
            List<NDArray> rows = new ArrayList<>();
            List<String> caps = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                long i = next++;
                rows.add(new Generator(i).randn(m, new Shape(1, 1, 4, 4)));
                caps.add("item " + i);
            }
            NDArray x = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(rows));
            return new CleanBatch(x, m.zeros(new Shape(batch, 1, 1)), caps);
        }

        @Override
        public DataPosition position() {
            return new DataPosition(0, next);
        }

        @Override
        public void seek(DataPosition p) {
            next = p.index();
        }

        @Override
        public int size() {
            return 1_000_000;
        }
    }

    /** loss = mean((x W - x[:, :4])^2) over the flattened clean latents; NaN on micro-batch {@code nanAt}. */
    static class Toy implements Objective {
        final NDArray w;
        final String name;
        int calls;
        int nanAt = -1;

        Toy(NDManager m, String name) {
            this.name = name;
            w = new Generator(42).randn(m, new Shape(16, 4)).mul(0.1f);
            w.setRequiresGradient(true);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Map<String, NDArray> trainable() {
            return Map.of("w", w);
        }

        @Override
        public LossTerms loss(DiffusionBatch b) {
            NDArray x = b.latents().reshape(b.size(), 16);
            NDArray loss = x.matMul(w).sub(x.get(":, :4")).square().mean();
            if (++calls == nanAt) {
                loss = loss.mul(Float.NaN);
            }
            return new LossTerms(loss, Map.of("loss", loss));
        }

        @Override
        public void save(Path out) {
            SafetensorsWriter.write(out.resolve("toy.safetensors"), Map.of("w", w));
        }
    }

    static TrainConfig.Builder cfg() {
        return TrainConfig.builder().steps(6).batchSize(2).lr(1e-2).checkpointEvery(0).keepLast(0);
    }

    static TrainResult run(TrainConfig c, Toy toy, Path out, NDManager m, StepListener l) {
        TrainingLoop loop = new TrainingLoop(c, toy, new Items(c.batchSize()), DDPM, out, m)
                .progress(new ProgressBar(new PrintStream(new ByteArrayOutputStream()), c.steps(), false, 1000,
                        System::nanoTime));
        if (l != null) {
            loop.listener(l);
        }
        return loop.run();
    }

    @Test
    void accumulatingTwoMicroBatchesEqualsOneBatchOfTwo(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            Toy big = new Toy(m, "toy");
            run(cfg().build(), big, tmp.resolve("a"), m, null);
            Toy acc = new Toy(m, "toy");
            run(cfg().batchSize(1).gradAccum(2).build(), acc, tmp.resolve("b"), m, null);
            double moved = big.w.sub(new Toy(m, "toy").w).abs().max().getFloat();
            double diff = big.w.sub(acc.w).abs().max().getFloat();
            System.out.printf("accumulation: weights moved %.3g, K=2xB=1 vs B=2 differ by %.3g%n", moved, diff);
            assertTrue(moved > 1e-3, "training must move the weights");
            assertTrue(diff < 1e-6, "accumulated update differs by " + diff);
            List<Double> la = losses(tmp.resolve("a"));
            List<Double> lb = losses(tmp.resolve("b"));
            for (int i = 0; i < la.size(); i++) {
                assertEquals(la.get(i), lb.get(i), 1e-6, "logged loss of step " + (i + 1) + " is the mean over micro-batches");
            }
        }
    }

    static List<Double> losses(Path out) {
        return MetricsWriter.read(out.resolve(TrainingLoop.METRICS)).stream().map(r -> r.losses().get("loss")).toList();
    }

    @Test
    void nonFiniteLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            Toy toy = new Toy(m, "toy");
            toy.nanAt = 3;
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> run(cfg().checkpointEvery(1).build(), toy, tmp, m, null));
            assertEquals(3, e.step());
            assertTrue(e.getMessage().contains("step 3"), e.getMessage());
            CheckpointManager c = new CheckpointManager(tmp, 0);
            assertEquals(tmp.resolve("checkpoint-2"), c.latest().orElseThrow());
            assertFalse(Files.exists(tmp.resolve("toy.safetensors")), "no final model from a failed run");
        }
    }

    @Test
    void sigintWritesACheckpointAndTheRunResumesFromIt(@TempDir Path tmp) {
        try (dev.bkd.train.log.StopSignal probe = dev.bkd.train.log.StopSignal.install("INT")) {
            org.junit.jupiter.api.Assumptions.assumeTrue(probe.ignoredSignals().isEmpty(),
                    "SIGINT was inherited as ignored (background job): it cannot reach the loop in this JVM");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig c = cfg().steps(50).build();
            TrainResult r = run(c, new Toy(m, "toy"), tmp, m, s -> {
                if (s.step() == 2) {
                    Signal.raise(new Signal("INT"));
                }
                return true;
            });
            assertEquals("SIGINT", r.stoppedBy());
            assertTrue(r.step() >= 2 && r.step() < 50, "stopped at " + r.step());
            assertEquals(tmp.resolve("checkpoint-" + r.step()), r.lastCheckpoint());
            assertFalse(Files.exists(tmp.resolve("toy.safetensors")));
            TrainResult done = run(c.toBuilder().resume("latest").build(), new Toy(m, "toy"), tmp, m, null);
            assertTrue(done.completed());
            assertEquals(50, done.step());
            assertEquals(50, losses(tmp).size(), "metrics continue without gaps or repeats");
            assertTrue(Files.exists(tmp.resolve("toy.safetensors")));
        }
    }

    @Test
    void fp16LossScalingResumesExactlyAndSkipsOverflowedSteps(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig c = cfg().steps(6).mixedPrecision("fp16").build();
            Toy straight = new Toy(m, "toy");
            run(c, straight, tmp.resolve("a"), m, null);
            Toy split = new Toy(m, "toy");
            run(c.toBuilder().steps(3).build(), split, tmp.resolve("b"), m, null);
            Toy resumed = new Toy(m, "toy");
            run(c.toBuilder().resume("latest").build(), resumed, tmp.resolve("b"), m, null);
            assertArrayEquals(straight.w.toFloatArray(), resumed.w.toFloatArray(), "3 + 3 resumed steps = 6 steps");
            com.fasterxml.jackson.databind.JsonNode st = dev.bkd.core.config.ConfigReader.MAPPER.readTree(
                    tmp.resolve("b/checkpoint-3/trainer_state.json").toFile());
            assertEquals(65536.0, st.findValue(TrainingLoop.SCALER).get("scale").asDouble());
            assertEquals(3, st.findValue(TrainingLoop.SCALER).get("_growth_tracker").asInt());

            // a loss of 1e35 x 65536 overflows float32 in the backward: the update is skipped, the weights stay
            Toy big = new Toy(m, "toy") {
                @Override
                public LossTerms loss(DiffusionBatch b) {
                    LossTerms t = super.loss(b);
                    NDArray l = dev.bkd.core.djl.Scalars.mul(t.total(), 1e35);
                    return new LossTerms(l, Map.of("loss", t.total()));
                }
            };
            float[] before = big.w.toFloatArray();
            run(cfg().steps(1).mixedPrecision("fp16").build(), big, tmp.resolve("c"), m, null);
            assertArrayEquals(before, big.w.toFloatArray(), "an overflowed step changes no weight");
            com.fasterxml.jackson.databind.JsonNode st2 = dev.bkd.core.config.ConfigReader.MAPPER.readTree(
                    tmp.resolve("c/checkpoint-1/trainer_state.json").toFile());
            assertEquals(32768.0, st2.findValue(TrainingLoop.SCALER).get("scale").asDouble());
        }
    }

    @Test
    void aLongRunKeepsTheArrayCountFlat(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Integer> live = new ArrayList<>();
            TrainConfig c = cfg().steps(200).gradAccum(2).ema(dev.bkd.train.optim.Ema.Config.defaults()).build();
            run(c, new Toy(m, "toy"), tmp, m, s -> live.add(m.getManagedArrays().size()));
            System.out.printf("live arrays after step 10: %d, after step 200: %d%n", live.get(9), live.get(199));
            assertEquals(live.get(9), live.get(199), "arrays leak across steps");
        }
    }

    @Test
    void validationRunsEveryNStepsAndAtTheEndAndItsFailureDoesNotStopTraining(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Long> calls = new ArrayList<>();
            TrainConfig c = cfg().steps(5).validateEvery(2).build();
            TrainResult r = new TrainingLoop(c, new Toy(m, "toy"), new Items(2), DDPM, tmp, m)
                    .progress(new ProgressBar(new PrintStream(new ByteArrayOutputStream()), 5, false, 1000, System::nanoTime))
                    .validator((step, folder) -> {
                        calls.add(step);
                        assertEquals(tmp.resolve(TrainingLoop.SAMPLES), folder);
                        throw new dev.bkd.core.BkdException("no pipeline today");
                    }).run();
            assertTrue(r.completed());
            assertEquals(List.of(2L, 4L, 5L), calls, "every 2 steps, then the final weights");
            assertTrue(Files.exists(tmp.resolve("toy.safetensors")));
        }
    }

    @Test
    void resumeRefusesAnotherObjectivesCheckpoint(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            run(cfg().steps(2).build(), new Toy(m, "toy"), tmp, m, null);
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> run(cfg().steps(4).resume("latest").build(), new Toy(m, "lora"), tmp, m, null));
            assertTrue(e.getMessage().contains("`toy`") && e.getMessage().contains("`lora`"), e.getMessage());
            TrainResult fresh = run(cfg().steps(1).resume("latest").build(), new Toy(m, "toy"), tmp.resolve("new"), m,
                    null);
            assertTrue(fresh.completed(), "--resume latest with no checkpoint starts a new run");
        }
    }
}
