package dev.bkd.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.ops.Ops;
import dev.bkd.train.optim.GradScaler;
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
 * optionally an AdamW update of every student parameter; with mixed precision a float16 teacher, the student under
 * float16 autocast and dynamic loss scaling, as {@code distill --mixed-precision fp16} trains), each the median of
 * N runs after one warm-up; the
 * process's peak RSS while the variant ran (it includes the teacher's weights, which a KD step needs). Variants
 * run teacher first, then students from small to large, so memory freed by one variant and kept by the allocator
 * is reused by the next rather than counted against a smaller one.
 */
final class VariantBenchmark {
    static final String TEACHER = "teacher";

    /**
     * @param optimizer false skips the AdamW update (the step is then forward + backward only)
     * @param checkpointing the student's KD forward with gradient checkpointing (blocks recomputed in the backward)
     * @param fp16 the KD step in mixed precision (--mixed-precision fp16): float16 teacher, student forward under
     *     float16 autocast with float32 master weights, loss in float32, GradScaler loss scaling; forward timings
     *     stay float32
     */
    record Settings(int size, int batch, int steps, boolean train, boolean optimizer, int textTokens,
                    boolean checkpointing, boolean fp16) {
        Settings(int size, int batch, int steps, boolean train, boolean optimizer, int textTokens) {
            this(size, batch, steps, train, optimizer, textTokens, false, false);
        }

        /** The KD step's precision as --mixed-precision names it. */
        String mixedPrecision() {
            return fp16 ? "fp16" : "no";
        }
    }

    /** Median, fastest and every timed run, in seconds. */
    record Timing(double median, double min, List<Double> runs) {}

    /**
     * One variant's numbers; kdStep is null for the teacher or when training was not measured. peakRssBytes covers
     * the whole variant, kdPeakRssBytes the KD steps alone (-1 when not measured), so what the student's backward
     * needs (gradient checkpointing's target) is not hidden behind the forward timings' peak. mixedPrecision is
     * the KD step's ({@code no} or {@code fp16}), null when no KD step was measured.
     */
    record Result(String variant, long parameters, long macs, Timing forward,
            Timing kdStep, long peakRssBytes, double matmulGmacs, long kdPeakRssBytes, String mixedPrecision) {
        Result(String variant, long parameters, long macs, Timing forward, Timing kdStep, long peakRssBytes,
               double matmulGmacs) {
            this(variant, parameters, macs, forward, kdStep, peakRssBytes, matmulGmacs, -1, null);
        }
    }

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
            UNet2DConditionModel kdTeacher = null;
            for (String v : order) {
                log.printf("benchmark: %s ...%n", v);
                log.flush();
                if (!v.equals(TEACHER) && kdTeacher == null) {
                    // made after the teacher's own timings, so its peak RSS does not include this copy
                    kdTeacher = s.fp16() && s.train() ? UNet2DConditionModel.fromStateDict(teacher.config(),
                            teacherWeights, root, UNet2DConditionModel.Options.defaults().withDtype(DataType.FLOAT16))
                            : teacher;
                }
                results.put(v, v.equals(TEACHER) ? measure(v, teacher, null, s, root)
                        : student(v, plans.get(v), kdTeacher, teacherWeights, s, root));
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
        long peak = peakRssBytes();
        long kdPeak = -1;
        if (teacher != null && s.train()) {
            resetPeakRss();
            kd = kdSteps(model, teacher, s, m);
            kdPeak = peakRssBytes();
            peak = Math.max(peak, kdPeak);
        }
        return new Result(v, model.parameterCount(), cost.macs() * s.batch(), timing(fwd), kd, peak, matmul,
                kdPeak, kd == null ? null : s.mixedPrecision());
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
        GradScaler scaler = s.fp16() ? new GradScaler(GradScaler.Config.defaults()) : null;
        if (s.fp16()) {
            String why = Ops.castKeepsGradients(params.values().iterator().next());
            if (why != null) {
                throw new BkdException("benchmark --mixed-precision fp16: the KD step's autocast needs a differentiable"
                        + " cast, but " + why + "; use --mixed-precision no");
            }
        }
        DataType teacherType = Weights.stateDict(teacher).values().iterator().next().getDataType();
        try (AdamW adamw = new AdamW(m, AdamW.Config.defaults())) {
            for (int i = 0; i <= s.steps(); i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray[] in = inputs(student, s, step);
                    long t0 = System.nanoTime();
                    NDArray target;
                    try (Autograd.NoGrad ng = Autograd.noGrad()) {
                        // the float16 teacher reads float16 inputs and its prediction is compared in float32
                        target = as(teacher.forward(as(in[0], teacherType), 500, as(in[1], teacherType)),
                                DataType.FLOAT32);
                    }
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        UNetPass pass = UNetPass.run(student, in[0], step.create(500.0), in[1], List.of(),
                                s.checkpointing(), s.fp16());
                        NDArray loss = pass.output().sample().sub(target).square().mean();
                        gc.backward(scaler == null ? loss : Scalars.mul(loss, scaler.scale()));
                        if (pass.afterBackward() != null) {
                            pass.afterBackward().run();
                        }
                    }
                    Map<String, NDArray> grads = s.optimizer() || scaler != null ? Autograd.grads(params, step)
                            : Map.of();
                    boolean finite = scaler == null || scaler.unscale(grads.values());
                    if (s.optimizer() && finite) {
                        adamw.step(params, grads, 1e-5);
                    }
                    if (scaler != null) {
                        scaler.update(!finite); // an overflowed step is skipped, as in training
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

    /** {@code a} in {@code type} (a frozen model's input or output; no gradient), itself when it already is. */
    private static NDArray as(NDArray a, DataType type) {
        return a.getDataType() == type ? a : a.toType(type, false);
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
