package dev.bkd.train.lora;

import static dev.bkd.train.TrainAsserts.assertSameStep;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.checkpoint.Checkpoint;
import dev.bkd.train.checkpoint.CheckpointManager;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.StepListener;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.optim.Ema;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on the tiny reference pipeline (32 px shapes, 4x4 latents): only the adapters learn, the base stays put. */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class LoraTrainerTest {
    private static final List<String> WIDE = List.of("to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out",
            "ff.net.0.proj");

    @TempDir
    Path tmp;

    static LoraOptions options(Path data, Path cache, Path out, TrainConfig t, int rank, double alpha,
                               List<String> targets, Double gamma, List<String> prompts) {
        return new LoraOptions(RefData.models(), new DataOptions(data, null, 32, false, true, cache), t, null, out,
                rank, alpha, targets, gamma, prompts, 2);
    }

    static TrainResult run(LoraOptions o, StepListener l) {
        try (LoraTrainer f = LoraTrainer.prepare(o)) {
            f.loop().listener(l);
            return f.run();
        }
    }

    private Path data(int n) {
        Path data = tmp.resolve("data");
        if (!Files.isDirectory(data)) {
            ShapesDataset.write(data, new ShapesDataset.Spec(n, 32, 1), false);
        }
        return data;
    }

    @Test
    void aShortRunLowersTheLossAndLeavesEveryBaseWeightBitForBit() {
        TrainConfig t = TrainConfig.builder().steps(40).batchSize(4).lr(1e-2).seed(3).checkpointEvery(0).build();
        List<StepMetrics> steps = new ArrayList<>();
        Path out = tmp.resolve("out");
        try (LoraTrainer f = LoraTrainer.prepare(options(data(8), tmp.resolve("cache"), out, t, 8, 8, WIDE, null,
                List.of()))) {
            Map<String, byte[]> before = bytes(Weights.stateDict(f.objective().unet()));
            f.loop().listener(steps::add);
            assertTrue(f.run().completed());
            Map<String, byte[]> after = bytes(Weights.stateDict(f.objective().unet()));
            assertEquals(before.keySet(), after.keySet());
            before.forEach((k, v) -> assertArrayEquals(v, after.get(k), "base weight " + k + " changed"));
            assertTrue(f.objective().adapter().layers().values().stream()
                    .anyMatch(w -> w.loraB().abs().max().getFloat() > 0), "B moved off zero");
        }
        double first = steps.subList(0, 10).stream().mapToDouble(m -> m.losses().get("loss")).average().orElseThrow();
        double last = steps.subList(30, 40).stream().mapToDouble(m -> m.losses().get("loss")).average().orElseThrow();
        System.out.printf("LoRA r8: mean loss of steps 1-10 %.4f, of steps 31-40 %.4f%n", first, last);
        assertTrue(last < 0.9 * first, "frozen base alone would stay level: loss " + first + " -> " + last);
        for (String file : new String[] {LoraFiles.WEIGHT_NAME, TrainingLoop.METRICS, TrainingLoop.PLOT,
                "checkpoint-40/trainer_state.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        assertFalse(Files.exists(out.resolve("unet")), "a LoRA run writes the adapter, not a pipeline");
    }

    @Test
    void onlyTheAdaptersTrainAndTheyStartAsTheBaseModel() {
        TrainConfig t = TrainConfig.builder().steps(1).batchSize(2).build();
        try (LoraTrainer f = LoraTrainer.prepare(options(data(2), null, tmp.resolve("o"), t, 4, 4, null, null,
                List.of()))) {
            LoraObjective o = f.objective();
            LoraAdapter a = o.adapter();
            Map<String, NDArray> trainable = o.trainable();
            assertEquals(a.layers().size() * 2, trainable.size());
            assertTrue(a.layers().keySet().stream().allMatch(p -> p.matches(".*\\.attn[12]\\.(to_q|to_k|to_v|to_out\\.0)")),
                    a.layers().keySet().toString());
            for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
                assertTrue(e.getKey().matches("unet\\..+\\.lora_[AB]\\.weight"), e.getKey());
                assertTrue(e.getValue().hasGradient(), e.getKey() + " records gradients");
            }
            for (Map.Entry<String, NDArray> e : Weights.stateDict(o.unet()).entrySet()) {
                assertFalse(e.getValue().hasGradient(), "base " + e.getKey() + " is frozen");
            }
            a.layers().forEach((p, w) -> {
                assertEquals(0f, w.loraB().abs().max().getFloat(), "B starts at zero: " + p);
                assertEquals(1.0, w.scaling(), "alpha / rank");
                double bound = 1 / Math.sqrt(w.loraA().getShape().get(1));
                assertTrue(w.loraA().abs().max().getFloat() <= bound, "kaiming-uniform bound 1/sqrt(fan_in): " + p);
            });
        }
        // the same seed draws the same A
        try (LoraTrainer f = LoraTrainer.prepare(options(data(2), null, tmp.resolve("o2"), t, 4, 4, null, null,
                List.of())); LoraTrainer g = LoraTrainer.prepare(options(data(2), null, tmp.resolve("o3"), t, 4, 4,
                null, null, List.of()))) {
            Map<String, NDArray> x = f.objective().trainable();
            Map<String, NDArray> y = g.objective().trainable();
            x.forEach((k, v) -> assertTrue(v.contentEquals(y.get(k)), k));
        }
    }

    @Test
    void theSavedFileLoadedByThePipelineReproducesTheTrainedUNet() {
        TrainConfig t = TrainConfig.builder().steps(3).batchSize(2).lr(5e-2).seed(5).checkpointEvery(0).build();
        Path out = tmp.resolve("out");
        try (NDManager m = NDManager.newBaseManager()) {
            Generator g = new Generator(11);
            NDArray x = g.randn(m, new Shape(2, 4, 8, 8));
            NDArray text = g.randn(m, new Shape(2, 77, 32));
            NDArray trained;
            NDArray base;
            try (LoraTrainer f = LoraTrainer.prepare(options(data(4), null, out, t, 4, 8, WIDE, null, List.of()))) {
                f.run();
                trained = f.objective().unet().forward(x, 500.0, text);
                trained.attach(m);
            }
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
                base = p.unet().forward(x, 500.0, text);
                base.attach(m);
                var report = p.loadLora(out, 1.0, "trained", true);
                assertTrue(report.clean(), report.describe());
                NDArray loaded = p.unet().forward(x, 500.0, text);
                double d = RefData.maxAbsDiff(trained, loaded);
                double moved = RefData.maxAbsDiff(trained, base);
                System.out.printf("LoRA save/load: trained vs loaded %.3g, trained vs base %.3g%n", d, moved);
                assertTrue(moved > 1e-3, "training moved the output: " + moved);
                assertTrue(d <= 1e-5, "pipeline.loadLora(saved) vs the trained UNet: " + d);
            }
        }
        try (StateDict sd = StateDicts.open(LoraTrainer.weightsFile(out))) {
            for (String k : sd.keys()) {
                assertTrue(k.matches("unet\\..+\\.lora_[AB]\\.weight"), k);
            }
        }
    }

    @Test
    void textEncoderLoraTrainsFromTheCaptionsAndRoundTripsThroughThePipeline() {
        TrainConfig t = TrainConfig.builder().steps(3).batchSize(2).lr(5e-2).seed(9).checkpointEvery(0).build();
        Path out = tmp.resolve("out");
        LoraOptions o = new LoraOptions(RefData.models(), new DataOptions(data(4), null, 32, false, true,
                tmp.resolve("cache")), t, null, out, 4, 4, null, null, List.of(), 2, true, null);
        try (NDManager m = NDManager.newBaseManager();
             ClipTokenizer tok = ClipTokenizer.fromPretrained(RefData.models().resolve("tokenizer"))) {
            NDArray ids = m.create(tok.encodeBatch(List.of("a red circle on a blue background", "a green square")));
            NDArray x = new Generator(11).randn(m, new Shape(2, 4, 8, 8));
            NDArray trainedText;
            NDArray trainedUnet;
            try (LoraTrainer f = LoraTrainer.prepare(o)) {
                LoraObjective obj = f.objective();
                assertEquals(Set.of("unet", "text_encoder"), obj.adapters().keySet());
                assertTrue(obj.trainable().keySet().stream().anyMatch(k -> k.matches(
                        "text_encoder\\.text_model\\.encoder\\.layers\\.0\\.self_attn\\.q_proj\\.lora_A\\.weight")),
                        obj.trainable().keySet().toString());
                Map<String, byte[]> before = bytes(Weights.stateDict(obj.textEncoder()));
                f.run();
                Map<String, byte[]> after = bytes(Weights.stateDict(obj.textEncoder()));
                before.forEach((k, v) -> assertArrayEquals(v, after.get(k), "base text-encoder weight " + k));
                assertTrue(obj.adapters().get("text_encoder").layers().values().stream()
                        .anyMatch(w -> w.loraB().abs().max().getFloat() > 0), "text-encoder B moved off zero");
                trainedText = obj.textEncoder().forward(ids).lastHiddenState();
                trainedUnet = obj.unet().forward(x, 500.0, trainedText);
                trainedText.attach(m);
                trainedUnet.attach(m);
            }
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
                NDArray baseText = p.textEncoder().forward(ids).lastHiddenState();
                baseText.attach(m);
                var report = p.loadLora(out, 1.0, "trained", true);
                assertTrue(report.layers().get("text_encoder") > 0, report.describe());
                NDArray text = p.textEncoder().forward(ids).lastHiddenState();
                double moved = RefData.maxAbsDiff(trainedText, baseText);
                double dText = RefData.maxAbsDiff(trainedText, text);
                double dUnet = RefData.maxAbsDiff(trainedUnet, p.unet().forward(x, 500.0, text));
                System.out.printf("text-encoder LoRA: moved %.3g; loaded vs trained: text %.3g, UNet %.3g%n", moved,
                        dText, dUnet);
                assertTrue(moved > 1e-3, "training moved the text encoder: " + moved);
                assertTrue(dText <= 1e-5 && dUnet <= 1e-5, "loaded vs trained: " + dText + ", " + dUnet);
            }
        }
    }

    @Test
    void twoStepsThenResumeEqualsFourStraight() {
        Path data = data(6);
        TrainConfig base = TrainConfig.builder().steps(4).batchSize(2).gradAccum(2).lr(1e-2).seed(7).checkpointEvery(2)
                .keepLast(2).ema(Ema.Config.defaults().withDecay(0.9)).build();
        List<StepMetrics> straight = new ArrayList<>();
        assertTrue(run(options(data, null, tmp.resolve("a"), base, 4, 8, null, 5.0, List.of()), straight::add)
                .completed());

        List<StepMetrics> first = new ArrayList<>();
        TrainResult b = run(options(data, null, tmp.resolve("b"), base, 4, 8, null, 5.0, List.of()),
                m -> first.add(m) && m.step() < 2);
        assertEquals(2, b.step());
        Checkpoint c2 = CheckpointManager.load(tmp.resolve("b/checkpoint-2"), Set.of(TrainingLoop.MODEL));
        try (StateDict w = c2.open(TrainingLoop.MODEL)) {
            assertTrue(w.keys().stream().allMatch(k -> k.matches("unet\\..+\\.lora_[AB]\\.weight")),
                    "checkpoints hold the adapters only, named as in the LoRA file: " + w.keys());
        }
        List<StepMetrics> resumed = new ArrayList<>();
        TrainResult c = run(options(data, null, tmp.resolve("b"), base.toBuilder().resume("latest").build(), 4, 8,
                null, 5.0, List.of()), resumed::add);
        assertTrue(c.completed());
        assertEquals(List.of(3L, 4L), resumed.stream().map(StepMetrics::step).toList());
        for (int i = 0; i < 2; i++) {
            assertSameStep(straight.get(i), first.get(i));
            assertSameStep(straight.get(i + 2), resumed.get(i));
        }
        try (NDManager m = NDManager.newBaseManager();
             StateDict x = StateDicts.open(LoraTrainer.weightsFile(tmp.resolve("a")));
             StateDict y = StateDicts.open(LoraTrainer.weightsFile(tmp.resolve("b")))) {
            assertEquals(x.keys(), y.keys());
            for (String k : x.keys()) {
                assertTrue(RefData.maxAbsDiff(x.load(k, m), y.load(k, m)) <= 1e-6, k);
            }
        }
        ConfigException e = assertThrows(ConfigException.class, () -> LoraTrainer.prepare(options(data, null,
                tmp.resolve("b"), base, 4, 8, null, null, List.of())));
        assertTrue(e.getMessage().contains("--resume latest"), e.getMessage());
    }

    @Test
    void badRankAlphaAndTargetsAreRefusedClearly() {
        Path data = data(2);
        TrainConfig t = TrainConfig.builder().steps(1).batchSize(2).build();
        ConfigException e = assertThrows(ConfigException.class,
                () -> options(data, null, tmp.resolve("o"), t, 0, 4, null, null, List.of()));
        assertTrue(e.getMessage().contains("--rank") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> options(data, null, tmp.resolve("o"), t, -2, 4, null, null,
                List.of()));
        assertTrue(e.getMessage().contains("--rank"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> options(data, null, tmp.resolve("o"), t, 4, 0, null, null,
                List.of()));
        assertTrue(e.getMessage().contains("--alpha"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> LoraTrainer.prepare(options(data, null, tmp.resolve("o"), t, 4, 4,
                List.of("to_q", "to_qq"), null, List.of())));
        assertTrue(e.getMessage().contains("`to_qq`") && e.getMessage().contains("matches no"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> LoraTrainer.prepare(new LoraOptions(RefData.models(),
                new DataOptions(data, null, 32, false, false, null), t, null, tmp.resolve("o"), 4, 4, null, null,
                List.of(), 2, true, List.of("q_proj", "to_q"))));
        assertTrue(e.getMessage().contains("--text-encoder-targets") && e.getMessage().contains("`to_q`"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o").resolve(TrainingLoop.METRICS)), "nothing trained");
    }

    private static Map<String, byte[]> bytes(Map<String, NDArray> tensors) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.toByteArray()));
        return out;
    }
}
