package dev.bkd.train.finetune;

import static dev.bkd.train.TrainAsserts.assertSameStep;
import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.TrainAsserts;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.StepListener;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.optim.Ema;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning the tiny reference pipeline (32 px images, 4x4 latents) on the shapes data. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class FinetunerTest {
    @TempDir
    Path tmp;

    static FinetuneOptions options(Path data, Path cache, Path out, TrainConfig t, Double gamma, List<String> prompts) {
        return new FinetuneOptions(RefData.models(), new DataOptions(data, null, 32, false, true, cache), t, null, out,
                gamma, 0, prompts, 2);
    }

    static TrainResult run(FinetuneOptions o, StepListener l) {
        try (Finetuner f = Finetuner.prepare(o)) {
            f.loop().listener(l);
            return f.run();
        }
    }

    private Path data(int n) {
        Path data = tmp.resolve("data");
        ShapesDataset.write(data, new ShapesDataset.Spec(n, 32, 1), false);
        return data;
    }

    @Test
    void aShortRunLowersTheTrainingLoss() {
        TrainConfig t = TrainConfig.builder().steps(40).batchSize(4).lr(2e-3).seed(3).checkpointEvery(0).build();
        List<StepMetrics> steps = new ArrayList<>();
        TrainResult r = run(options(data(8), tmp.resolve("cache"), tmp.resolve("out"), t, null, List.of()), steps::add);
        assertTrue(r.completed());
        double first = steps.subList(0, 10).stream().mapToDouble(m -> m.losses().get("loss")).average().orElseThrow();
        double last = steps.subList(30, 40).stream().mapToDouble(m -> m.losses().get("loss")).average().orElseThrow();
        System.out.printf("fine-tune: mean loss of steps 1-10 %.4f, of steps 31-40 %.4f%n", first, last);
        assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
        for (String f : new String[] {"model_index.json", "unet/config.json", "unet/" + UNet2DConditionModel.WEIGHTS_NAME,
                "vae/config.json", "text_encoder/model.safetensors", "tokenizer/vocab.json",
                "scheduler/scheduler_config.json", "metrics.jsonl", "loss.png", "checkpoint-40/trainer_state.json"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("out").resolve(f)), f);
        }
    }

    @Test
    void threeStepsThenResumeEqualsSixStraight() throws Exception {
        Path data = data(6);
        List<String> prompts = List.of("a red circle on a blue background");
        TrainConfig base = TrainConfig.builder().steps(6).batchSize(2).gradAccum(2).lr(1e-3).seed(7).checkpointEvery(3)
                .keepLast(2).ema(Ema.Config.defaults().withDecay(0.9)).validateEvery(6).build();
        List<StepMetrics> straight = new ArrayList<>();
        assertTrue(run(options(data, null, tmp.resolve("a"), base, 5.0, prompts), straight::add).completed());

        List<StepMetrics> first = new ArrayList<>();
        TrainResult b = run(options(data, null, tmp.resolve("b"), base, 5.0, prompts), m -> first.add(m) && m.step() < 3);
        assertEquals(3, b.step());
        List<StepMetrics> resumed = new ArrayList<>();
        TrainResult c = run(options(data, null, tmp.resolve("b"), base.toBuilder().resume("latest").build(), 5.0,
                prompts), resumed::add);
        assertTrue(c.completed());
        assertEquals(List.of(4L, 5L, 6L), resumed.stream().map(StepMetrics::step).toList());
        for (int i = 0; i < 3; i++) {
            assertSameStep(straight.get(i), first.get(i));
            assertSameStep(straight.get(i + 3), resumed.get(i));
        }
        assertEquals(Map.of("loss", 0.0, "mse", 0.0).keySet(), straight.get(0).losses().keySet());
        assertTrue(TrainAsserts.maxUNetWeightDiff(tmp.resolve("a/unet"), tmp.resolve("b/unet")) <= 1e-6);
        try (var pngs = Files.list(tmp.resolve("b/samples/step-6"))) {
            assertEquals(1, pngs.count(), "one validation sample per prompt, as distillation draws them");
        }
        assertFalse(Files.exists(tmp.resolve("b").resolve(Finetuner.SCRATCH)), "the scratch pipeline is removed");
    }

    @Test
    void anotherRunsCheckpointsAreNotMixedInto() {
        Path data = data(2);
        TrainConfig t = TrainConfig.builder().steps(1).batchSize(2).checkpointEvery(1).build();
        assertTrue(run(options(data, null, tmp.resolve("o"), t, null, List.of()), m -> true).completed());
        ConfigException e = assertThrows(ConfigException.class,
                () -> Finetuner.prepare(options(data, null, tmp.resolve("o"), t, null, List.of())));
        assertTrue(e.getMessage().contains("--resume latest"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> Finetuner.prepare(new FinetuneOptions(tmp, new DataOptions(data, null, 32, false, false, null), t,
                        null, tmp.resolve("x"), null, 0, List.of(), 2)));
        assertTrue(e.getMessage().contains("pipeline folder"), e.getMessage());
    }
}
