package dev.bkd.train.distill;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.testing.RefData;
import dev.bkd.train.TrainAsserts;
import dev.bkd.train.shapes.ShapesDataset;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.StepListener;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.optim.Ema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run interrupted at step 3 and resumed gives the losses and final weights of the uninterrupted 6-step run:
 * tiny reference teacher, tiny student, random crop + flip, 2 micro-batches of 2 per step, EMA on.
 */
class DistillerResumeTest {
    @TempDir
    Path tmp;

    DistillOptions options(Path data, Path out, String resume) {
        TrainConfig t = TrainConfig.builder().steps(6).batchSize(2).gradAccum(2).lr(1e-3).seed(7).checkpointEvery(3)
                .keepLast(2).ema(Ema.Config.defaults().withDecay(0.9)).resume(resume).build();
        return DistillOptions.builder(RefData.models(), data, out).variant("tiny").resolution(32).randomFlip(true)
                .train(t).build();
    }

    static TrainResult run(DistillOptions o, StepListener l) {
        try (Distiller d = Distiller.prepare(o)) {
            d.loop().listener(l);
            return d.run();
        }
    }

    @Test
    void threeStepsThenResumeEqualsSixStraight() throws Exception {
        Path data = tmp.resolve("data");
        ShapesDataset.write(data, new ShapesDataset.Spec(6, 40, 1), false);
        List<StepMetrics> straight = new ArrayList<>();
        TrainResult a = run(options(data, tmp.resolve("a"), null), straight::add);
        assertTrue(a.completed());
        assertEquals(6, straight.size());

        List<StepMetrics> first = new ArrayList<>();
        TrainResult b = run(options(data, tmp.resolve("b"), null), m -> first.add(m) && m.step() < 3);
        assertEquals(3, b.step());
        assertEquals(tmp.resolve("b/checkpoint-3"), b.lastCheckpoint());
        assertFalse(Files.exists(tmp.resolve("b/model_index.json")), "an interrupted run writes no final model");
        List<StepMetrics> resumed = new ArrayList<>();
        TrainResult c = run(options(data, tmp.resolve("b"), "latest"), resumed::add);
        assertTrue(c.completed());
        assertEquals(List.of(4L, 5L, 6L), resumed.stream().map(StepMetrics::step).toList());

        double worst = 0;
        for (int i = 0; i < 3; i++) {
            worst = Math.max(worst, worstDiff(straight.get(i), first.get(i)));
            worst = Math.max(worst, worstDiff(straight.get(i + 3), resumed.get(i)));
        }
        double weights = TrainAsserts.maxUNetWeightDiff(tmp.resolve("a/unet"), tmp.resolve("b/unet"));
        System.out.printf("resume: worst loss difference %.3g, final (EMA) UNet weights differ by %.3g%n", worst, weights);
        assertTrue(worst <= 1e-6, "losses differ by " + worst);
        assertTrue(weights <= 1e-6, "final weights differ by " + weights);
        assertEquals(List.of(tmp.resolve("b/checkpoint-3"), tmp.resolve("b/checkpoint-6")),
                new dev.bkd.train.checkpoint.CheckpointManager(tmp.resolve("b"), 0).list());
        assertEquals(6, dev.bkd.train.log.MetricsWriter.read(tmp.resolve("b").resolve(TrainingLoop.METRICS)).size());
    }

    static double worstDiff(StepMetrics x, StepMetrics y) {
        assertEquals(x.step(), y.step());
        assertEquals(x.losses().keySet(), y.losses().keySet());
        double w = Math.abs(x.gradNorm() - y.gradNorm());
        for (Map.Entry<String, Double> e : x.losses().entrySet()) {
            w = Math.max(w, Math.abs(e.getValue() - y.losses().get(e.getKey())));
        }
        return w;
    }
}
