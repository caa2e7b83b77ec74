package dev.bkd.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.prune.PrunePlan;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.prune.UNetCost;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import dev.bkd.train.loop.UNetPass;
import dev.bkd.train.optim.AdamW;
import dev.bkd.core.djl.Autograd;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times a teacher UNet and students pruned from it on the fly: forward latency (no gradients) and one KD training
 * step (teacher forward without gradients + student forward/backward of MSE(student output, teacher output) +
 * optionally an AdamW update of every student parameter), each the median of N runs after one warm-up; the
 * process's peak RSS while the variant ran (it includes the teacher's weights, which a KD step needs). Variants
 * run teacher first, then students from small to large, so memory freed by one variant and kept by the allocator
 * is reused by the next rather than counted against a smaller one.
 */
final class VariantBenchmark {
    static final String TEACHER = "teacher";

    /**
     * @param optimizer false skips the AdamW update (the step is then forward + backward only)
     * @param checkpointing the student's KD forward with gradient checkpointing (blocks recomputed in the backward)
     */
    record Settings(int size, int batch, int steps, boolean train, boolean optimizer, int textTokens,
                    boolean checkpointing) {
        Settings(int size, int batch, int steps, boolean train, boolean optimizer, int textTokens) {
            this(size, batch, steps, train, optimizer, textTokens, false);
        }
    }

    /** Median, fastest and every timed run, in seconds. */
    record Timing(double median, double min, List<Double> runs) {}

    /** One variant's numbers; kdStep is null for the teacher or when training was not measured. */
    record Result(String variant, long parameters, long macs, Timing forward,
            Timing kdStep, long peakRssBytes, double matmulGmacs) {}

    private VariantBenchmark() {}

    static List<Result> run(UNet2DConditionModel teacher, List<String> variants, Settings s, PrintWriter log) {
        Weights.setTrainable(teacher, false);
        NDManager root = NDManager.newBaseManager();
        try (root) {
            StateDict teacherWeights = StateDict.of(Weights.stateDict(teacher));
            Map<String, PrunePlan> plans = new LinkedHashMap<>();
            for (String v : variants) {
                if (!v.equals(TEACHER)) {
                    plans.put(v, PrunePlan.derive(teacher.config(), PruneSpec.resolve(v)));
                }
            }
            List<String> order = new ArrayList<>(variants);
            order.sort(Comparator.comparingLong(v -> v.equals(TEACHER) ? -1 : plans.get(v).studentParameters()));
            Map<String, Result> results = new LinkedHashMap<>();
            for (String v : order) {
                log.printf("benchmark: %s ...%n", v);
                log.flush();
                results.put(v, v.equals(TEACHER) ? measure(v, teacher, null, s, root)
                        : student(v, plans.get(v), teacher, teacherWeights, s, root));
            }
            return variants.stream().map(results::get).toList();
        }
    }

    private static Result student(String v, PrunePlan plan, UNet2DConditionModel teacher, StateDict teacherWeights,
            Settings s, NDManager root) {
        try (NDManager m = root.newSubManager()) {
            UNet2DConditionModel student = UNet2DConditionModel.fromStateDict(plan.student(),
                    plan.studentWeights(teacherWeights, "teacher"), m, UNet2DConditionModel.Options.defaults());
            return measure(v, student, teacher, s, m);
        }
    }

    private static Result measure(String v, UNet2DConditionModel model, UNet2DConditionModel teacher, Settings s,
            NDManager m) {
        resetPeakRss();
        double matmul = matmulGmacs(m);
        int latent = s.size() / 8;
        UNetCost cost = UNetCost.of(model.config(), latent, s.textTokens());
        List<Double> fwd = new ArrayList<>();
        int arrays = -1;
        for (int i = 0; i <= s.steps(); i++) {
            double t = forward(model, s, m);
            if (i > 0) {
                fwd.add(t);
            }
            arrays = checkNoLeak(m, arrays, v + " forward");
        }
        Timing kd = null;
        if (teacher != null && s.train()) {
            kd = kdSteps(model, teacher, s, m);
        }
        return new Result(v, model.parameterCount(), cost.macs() * s.batch(), timing(fwd), kd,
                peakRssBytes(), matmul);
    }

    private static double forward(UNet2DConditionModel model, Settings s, NDManager m) {
        try (NDManager step = m.newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray[] in = inputs(model, s, step);
            long t0 = System.nanoTime();
            model.forward(in[0], 500, in[1]).toFloatArray(); // reading the result waits for it
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static Timing kdSteps(UNet2DConditionModel student, UNet2DConditionModel teacher, Settings s, NDManager m) {
        Weights.setTrainable(student, true);
        Map<String, NDArray> params = Weights.stateDict(student);
        List<Double> runs = new ArrayList<>();
        int arrays = -1;
        try (AdamW adamw = new AdamW(m, AdamW.Config.defaults())) {
            for (int i = 0; i <= s.steps(); i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray[] in = inputs(student, s, step);
                    long t0 = System.nanoTime();
                    NDArray target;
                    try (Autograd.NoGrad ng = Autograd.noGrad()) {
                        target = teacher.forward(in[0], 500, in[1]);
                    }
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        UNetPass pass = UNetPass.run(student, in[0], step.create(500.0), in[1], List.of(),
                                s.checkpointing());
                        NDArray loss = pass.output().sample().sub(target).square().mean();
                        gc.backward(loss);
                        if (pass.afterBackward() != null) {
                            pass.afterBackward().run();
                        }
                    }
                    if (s.optimizer()) {
                        adamw.step(params, Autograd.grads(params, step), 1e-5);
                    }
                    Autograd.zeroGrads(params);
                    double t = (System.nanoTime() - t0) / 1e9;
                    if (i > 0) {
                        runs.add(t);
                    }
                }
                arrays = checkNoLeak(m, arrays, "KD step");
            }
        }
        return timing(runs);
    }

    /** Every step frees what it made: the variant's live array count is the same after each (after the first). */
    private static int checkNoLeak(NDManager m, int before, String what) {
        int now = m.getManagedArrays().size();
        if (before >= 0 && now != before) {
            throw new IllegalStateException(what + ": " + (now - before) + " arrays leaked by one step");
        }
        return now;
    }

    /** Random latents (B, 4, size/8, size/8) and text states (B, tokens, cross_attention_dim) in {@code m}. */
    private static NDArray[] inputs(UNet2DConditionModel model, Settings s, NDManager m) {
        int latent = s.size() / 8;
        int ctx = model.config().crossAttentionDim().get(0);
        return new NDArray[] {m.randomNormal(new Shape(s.batch(), model.config().inChannels(), latent, latent)),
            m.randomNormal(new Shape(s.batch(), s.textTokens(), ctx))};
    }

    private static Timing timing(List<Double> runs) {
        List<Double> sorted = new ArrayList<>(runs);
        sorted.sort(null);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Timing(median, sorted.get(0), List.copyOf(runs));
    }

    /**
     * What this machine delivers right now: the fastest of five 1024^3 fp32 matmuls, in GMAC/s. On a shared
     * machine it moves with the load, so a variant's forward MAC rate divided by it compares across runs.
     */
    static double matmulGmacs(NDManager m) {
        try (NDManager s = m.newSubManager(); Autograd.NoGrad ng = Autograd.noGrad()) {
            NDArray a = s.randomNormal(new Shape(1024, 1024));
            NDArray b = s.randomNormal(new Shape(1024, 1024));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                a.matMul(b).toFloatArray();
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return Math.pow(1024, 3) / best / 1e9;
        }
    }

    /** Resets the kernel's peak-RSS counter (Linux >= 4.0); harmless where it is not available. */
    private static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // the peak then covers the whole process so far
        }
    }

    /** VmHWM in bytes, or -1 where /proc is unavailable. */
    static long peakRssBytes() {
        return ProcStatus.peakRssKiB().stream().map(k -> k * 1024).findFirst().orElse(-1);
    }
}
