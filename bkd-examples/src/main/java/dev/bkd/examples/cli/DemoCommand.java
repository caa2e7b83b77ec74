package dev.bkd.examples.cli;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.prune.Pruner;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.core.io.FileTrees;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.log.ImageGrid;
import dev.bkd.train.log.MetricsWriter;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.shapes.Scene;
import dev.bkd.train.shapes.Scenes;
import dev.bkd.train.shapes.ShapesDataset;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd demo}: the whole product on the shipped teacher, offline, in minutes on a CPU. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The main job, offline: copy out the small text-to-image teacher shipped with bkd, draw the"
            + " captioned shapes data, prune the teacher to the BK-SDM tiny student, distill it (task + output +"
            + " feature KD) with progress bars, draw the same prompts and seeds with teacher and student into a grid,"
            + " and report parameters, UNet latency, final loss terms and prompt-following accuracy.",
            "Everything goes to --out; a second run reuses every finished stage."})
final class DemoCommand implements Callable<Integer> {
    private static final int IMAGE = 32;
    private static final long DATA_SEED = 0;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "bkd-demo", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--teacher", paramLabel = "DIR", description = "Teacher pipeline folder (default: the one shipped with bkd).")
    Path teacher;

    @Option(names = "--steps", defaultValue = "600", description = "Distillation steps (default ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch", defaultValue = "64", description = "Distillation batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "5e-4", description = "Distillation learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--images", defaultValue = "1200", description = "Training images drawn (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--seeds", defaultValue = DemoEval.SEEDS, description = "Seeds per evaluation prompt (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--sample-steps", defaultValue = DemoEval.SAMPLE_STEPS, description = "Denoising steps per picture (default ${DEFAULT-VALUE}).")
    int sampleSteps;

    @Option(names = "--guidance", defaultValue = DemoEval.GUIDANCE, description = "Classifier-free guidance (default ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--quick", description = "A smoke run in well under a minute (few images, steps and seeds; numbers are meaningless).")
    boolean quick;

    @Mixin
    VerboseMixin verbose;

    private PrintWriter w;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        if (teacher != null) {
            teacher = checkpoint.folder(teacher, spec.commandLine().getErr());
        }
        w = spec.commandLine().getOut();
        if (quick) {
            steps = Math.min(steps, 3);
            batchSize = Math.min(batchSize, 4);
            images = Math.min(images, 24);
            seeds = 1;
            sampleSteps = Math.min(sampleSteps, 3);
        }
        Path o = out.toAbsolutePath().normalize();
        DemoState state = DemoState.load(o);
        Map<String, Double> seconds = new LinkedHashMap<>();
        w.printf("bkd demo -> %s%n", o);

        long s = System.nanoTime();
        Path teacherDir = teacher != null ? teacher.toAbsolutePath().normalize() : o.resolve("teacher");
        String teacherKey = teacher != null ? "folder:" + teacherDir : DemoTeacher.digest();
        if (teacher == null) {
            header("1/6 teacher", DemoTeacher.extract(teacherDir) ? "copied the shipped teacher to " + teacherDir
                    : "reusing " + teacherDir);
        } else {
            header("1/6 teacher", teacherDir.toString());
        }
        Path data = o.resolve("data");
        ShapesDataset.Spec dataSpec = new ShapesDataset.Spec(images, IMAGE, DATA_SEED);
        boolean drew = ShapesDataset.write(data, dataSpec, true);
        header("2/6 data", (drew ? "drew " : "reusing ") + images + " captioned " + IMAGE + "x" + IMAGE + " shapes in " + data);
        seconds.put("teacher + data", since(s));

        s = System.nanoTime();
        Path pruned = o.resolve("pruned");
        String pruneKey = teacherKey + "|tiny";
        if (state.done("prune", pruneKey, pruned.resolve("model_index.json"))) {
            header("3/6 prune", "reusing the tiny student in " + pruned);
        } else {
            Pruner.Result r = Pruner.prune(teacherDir, PruneSpec.resolve("tiny"), pruned, true);
            state.finish("prune", pruneKey);
            header("3/6 prune", String.format("BK-SDM tiny: %,d -> %,d UNet parameters; removed %s -> %s",
                    r.plan().teacherParameters(), r.plan().studentParameters(), String.join(", ", r.plan().removed()),
                    pruned));
        }
        seconds.put("prune", since(s));

        s = System.nanoTime();
        Path student = o.resolve("student");
        String distillKey = pruneKey + "|" + dataSpec + "|steps " + steps + "|batch " + batchSize + "|lr " + lr;
        if (state.done("distill", distillKey, student.resolve("model_index.json"))) {
            header("4/6 distill", "reusing the distilled student in " + student);
        } else {
            header("4/6 distill", steps + " steps of " + batchSize + " images (task + output + feature KD, bk-sdm"
                    + " pairs), latent cache in " + o.resolve("cache"));
            distill(state, distillKey, teacherDir, pruned, data, student, o.resolve("cache"));
        }
        seconds.put("distill", since(s));

        s = System.nanoTime();
        header("5/6 evaluate", "teacher and student draw " + Scenes.promptSet(IMAGE).size() + " prompts x " + seeds
                + " seeds (" + sampleSteps + " steps, guidance " + guidance + ")");
        List<Scene> prompts = Scenes.promptSet(IMAGE);
        List<Long> seedList = LongStream.range(0, seeds).boxed().toList();
        DemoEval.Result te = DemoEval.run(teacherDir, prompts, seedList, sampleSteps, guidance, "teacher", w);
        DemoEval.Result st = DemoEval.run(student, prompts, seedList, sampleSteps, guidance, "student", w);
        Path grid = o.resolve("grid.png");
        writeGrid(grid, te, st, prompts, seedList);
        seconds.put("evaluate", since(s));

        s = System.nanoTime();
        header("6/6 latency", "UNet forward, batch 2 (one CFG image), median of " + (quick ? 1 : 10) + " runs");
        List<VariantBenchmark.Result> lat = latency(teacherDir, quick ? 1 : 10);
        seconds.put("latency", since(s));
        seconds.put("total", since(t0));

        DemoReport report = new DemoReport(lat.get(0), lat.get(1), finalLosses(student), te.score(), st.score(),
                seconds, o, grid, student);
        report.print(w);
        AtomicFiles.writeString(o.resolve("report.json"), report.json().toPrettyString() + "\n");
        w.printf("report:     %s%n", o.resolve("report.json"));
        w.flush();
        return 0;
    }

    private void distill(DemoState state, String key, Path teacherDir, Path pruned, Path data, Path student, Path cache) {
        if (!key.equals(state.keyOf("distill-started"))) {
            FileTrees.deleteQuietly(student); // new settings: this stage starts over
            FileTrees.deleteQuietly(cache);
            state.forget("distill");
            state.finish("distill-started", key);
        }
        TrainConfig t = TrainConfig.builder().steps(steps).batchSize(batchSize).lr(lr).seed(0)
                .checkpointEvery(Math.max(1, steps / 4)).keepLast(1).resume("latest").logEvery(10).build();
        DistillOptions o = DistillOptions.builder(teacherDir, data, student).student(pruned).resolution(IMAGE)
                .cacheDir(cache).train(t).build();
        TrainResult r;
        try (Distiller d = Distiller.prepare(o)) {
            r = d.run();
        }
        if (!r.completed()) {
            throw new dev.bkd.core.BkdException("distillation stopped at step " + r.step() + " (" + r.stoppedBy()
                    + "); run bkd demo again to continue from " + r.lastCheckpoint());
        }
        state.finish("distill", key);
    }

    private static void writeGrid(Path file, DemoEval.Result te, DemoEval.Result st, List<Scene> prompts,
            List<Long> seeds) {
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < seeds.size(); i++) {
            rows.add(te.rows().get(i));
            labels.add("teacher, seed " + seeds.get(i));
            rows.add(st.rows().get(i));
            labels.add("student, seed " + seeds.get(i));
        }
        ImageGrid.write(file, rows, labels, prompts.stream().map(DemoEval::label).toList(), 3);
    }

    /** Teacher and its tiny student: forward latency on 16x16 latents with the demo's 16 text tokens. */
    private static List<VariantBenchmark.Result> latency(Path teacherDir, int repeats) {
        try (NDManager m = NDManager.newBaseManager();
                UNet2DConditionModel t = UNet2DConditionModel.fromPretrained(teacherDir.resolve("unet"), m,
                        UNet2DConditionModel.Options.defaults())) {
            int latent = t.config().sampleSize().get(0);
            // VariantBenchmark's size is in SD pixels (latent x 8)
            return VariantBenchmark.run(t, List.of(VariantBenchmark.TEACHER, "tiny"),
                    new VariantBenchmark.Settings(latent * 8, 2, repeats, false, false, 16), new PrintWriter(
                            java.io.Writer.nullWriter()));
        }
    }

    /** Mean of each logged loss term over the last tenth of the run (at least one step). */
    private static Map<String, Double> finalLosses(Path student) {
        List<StepMetrics> rows = MetricsWriter.read(student.resolve(TrainingLoop.METRICS));
        int n = Math.max(1, rows.size() / 10);
        Map<String, Double> out = new LinkedHashMap<>();
        for (StepMetrics m : rows.subList(rows.size() - n, rows.size())) {
            m.losses().forEach((k, v) -> out.merge(k, v / n, Double::sum));
        }
        return out;
    }

    private void header(String stage, String text) {
        w.printf("[%s] %s%n", stage, text);
        w.flush();
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
