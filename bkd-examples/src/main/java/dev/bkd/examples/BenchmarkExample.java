package dev.bkd.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.prune.PrunePlan;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import dev.bkd.core.djl.Autograd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * How much faster the BK-SDM students are: one UNet forward (batch 1, 77 text tokens) of a teacher and of each
 * student pruned from it in memory, the median of a few runs after a warm-up.
 *
 * <pre>BenchmarkExample [model] [variants] [size] [runs]</pre>
 * model: a pipeline or unet folder, default {@code random} (SD1.5's UNet with random weights: same speed, no
 * download); variants: comma-separated base, small, tiny or prune spec .json files, default base,small,tiny;
 * size: image side in pixels, a multiple of 64 (latents are size/8), default 512; runs: timed forwards, default 3.
 */
public final class BenchmarkExample {
    private BenchmarkExample() {}

    public static void main(String[] args) {
        System.setProperty("OPT_OUT_TRACKING", "true"); // no telemetry, no downloads
        System.setProperty("ai.djl.offline", "true");
        String model = args.length > 0 ? args[0] : "random";
        String[] variants = (args.length > 1 ? args[1] : "base,small,tiny").split(",");
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;

        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel teacher;
            if (model.equals("random")) {
                teacher = new UNet2DConditionModel(UNet2DConditionConfig.preset("sd15"));
                teacher.initializeRandom(m, DataType.FLOAT32);
            } else {
                Path unet = Files.isDirectory(Path.of(model, "unet")) ? Path.of(model, "unet") : Path.of(model);
                teacher = UNet2DConditionModel.fromPretrained(unet, m, UNet2DConditionModel.Options.defaults());
            }
            double teacherSeconds = medianSeconds(teacher, m, size, runs);
            System.out.printf("%-8s %,14d parameters %8.3f s/forward%n", "teacher", teacher.parameterCount(),
                    teacherSeconds);

            StateDict teacherWeights = StateDict.of(Weights.stateDict(teacher));
            for (String variant : variants) {
                // which blocks go is decided from the config alone; the student's tensors are copies of the teacher's
                PrunePlan plan = PrunePlan.derive(teacher.config(), PruneSpec.resolve(variant));
                try (NDManager sm = m.newSubManager()) {
                    StateDict weights = plan.studentWeights(teacherWeights, "teacher");
                    UNet2DConditionModel student = UNet2DConditionModel.fromStateDict(plan.student(), weights, sm,
                            UNet2DConditionModel.Options.defaults());
                    double seconds = medianSeconds(student, sm, size, runs);
                    System.out.printf("%-8s %,14d parameters %8.3f s/forward %6.2fx faster%n", variant,
                            student.parameterCount(), seconds, teacherSeconds / seconds);
                }
            }
        }
    }

    /** Median seconds of {@code runs} forwards on fresh random inputs, after one untimed warm-up forward. */
    private static double medianSeconds(UNet2DConditionModel unet, NDManager m, int size, int runs) {
        double[] seconds = new double[runs];
        for (int i = -1; i < runs; i++) {
            try (NDManager s = m.newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) { // freed every run
                NDArray latents = s.randomNormal(new Shape(1, unet.config().inChannels(), size / 8, size / 8));
                NDArray text = s.randomNormal(new Shape(1, 77, unet.config().crossAttentionDim().get(0)));
                long t0 = System.nanoTime();
                unet.forward(latents, 500, text).toFloatArray(); // reading the result waits for it
                if (i >= 0) {
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        Arrays.sort(seconds);
        return seconds[runs / 2];
    }
}
