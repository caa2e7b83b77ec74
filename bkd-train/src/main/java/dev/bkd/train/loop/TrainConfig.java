package dev.bkd.train.loop;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.optim.AdamW;
import dev.bkd.train.optim.Ema;
import dev.bkd.train.optim.LrSchedule;
import java.util.List;

/**
 * The loop's knobs. Defaults follow BK-SDM's recipe: AdamW (0.9, 0.999, wd 1e-2, eps 1e-8) at a constant 5e-5,
 * global-norm clipping at 1.0, no EMA, a checkpoint every 500 steps.
 *
 * @param steps          optimizer steps to reach (a resumed run continues up to this count)
 * @param batchSize      images per micro-batch
 * @param gradAccum      micro-batches per optimizer step
 * @param maxGradNorm    global-norm clip; 0 turns clipping off (the norm is still logged)
 * @param ema            EMA settings, or null for none
 * @param checkpointEvery steps between checkpoints (0: only at the end); the last step always checkpoints
 * @param keepLast       checkpoints kept (0 keeps all)
 * @param resume         null, {@code latest}, a checkpoint folder name or a path
 * @param validateEvery  steps between validation samples (0: none)
 * @param logEvery       steps between progress lines when stderr is not a terminal
 * @param gradientCheckpointing recompute each UNet block in the backward instead of keeping its activations
 *                       (diffusers' {@code --gradient_checkpointing}): less memory, about one more forward of time
 * @param mixedPrecision {@code no} or {@code fp16} (accelerate's meaning): fp16 runs the objective's trained model
 *                       under float16 {@link dev.bkd.core.nn.Autocast} ({@link Objective#autocast}; float32 master
 *                       weights, loss in float32) and adds dynamic loss scaling
 *                       ({@link dev.bkd.train.optim.GradScaler}, its state in checkpoints); the frozen models' dtype
 *                       is the trainer's choice
 * @param allowChangedSetup resume even when the run's setup (teacher, data, batch, lr, seed, ...) differs from the
 *                       checkpoint's, or the checkpoint lies outside the output folder; the differences are logged
 * @param devices        data parallelism: one model replica per device, each running its share of a step's
 *                       micro-batches ({@link DataParallel}); empty or one device: the trainer's device alone
 */
public record TrainConfig(long steps, int batchSize, int gradAccum, double lr, String lrScheduler, long warmup,
                          double maxGradNorm, AdamW.Config adam, Ema.Config ema, long seed, long checkpointEvery,
                          int keepLast, String resume, long validateEvery, int logEvery, boolean allowChangedSetup,
                          List<Device> devices, boolean gradientCheckpointing, String mixedPrecision) {
    public TrainConfig {
        devices = devices == null ? List.of() : List.copyOf(devices);
        positive("steps", steps);
        positive("batch size", batchSize);
        positive("gradient accumulation", gradAccum);
        positive("log interval", logEvery);
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new ConfigException("max grad norm must be >= 0 (0 turns clipping off), got " + maxGradNorm);
        }
        if (checkpointEvery < 0 || keepLast < 0 || validateEvery < 0 || warmup < 0) {
            throw new ConfigException("checkpoint interval, keep count, validation interval and warmup must be >= 0");
        }
        LrSchedule.byName(lrScheduler, lr, warmup, steps); // validates name and rate
        mixedPrecision = mixedPrecision == null ? "no" : mixedPrecision;
        if (!mixedPrecision.equals("no") && !mixedPrecision.equals("fp16")) {
            throw new ConfigException("--mixed-precision must be `no` or `fp16` (bf16 aborts libtorch's CPU kernels"
                    + " through DJL), got `" + mixedPrecision + "`");
        }
    }

    private static void positive(String what, long v) {
        if (v <= 0) {
            throw new ConfigException(what + " must be positive, got " + v);
        }
    }

    /** The learning-rate schedule over {@link #steps}. */
    public LrSchedule schedule() {
        return LrSchedule.byName(lrScheduler, lr, warmup, steps);
    }

    /** Whether the loop scales the loss (--mixed-precision fp16). */
    public boolean fp16() {
        return mixedPrecision.equals("fp16");
    }

    /** Images per optimizer step: micro-batch x accumulation x replicas. */
    public int effectiveBatch() {
        return batchSize * gradAccum * replicas();
    }

    /** Model replicas (devices) a step's micro-batches are spread over; 1 without data parallelism. */
    public int replicas() {
        return Math.max(1, devices.size());
    }

    /**
     * "16 images per step" for the start-up line; when the dataset has fewer items than that, it says so, since
     * each step then repeats items (the line used to claim a batch the data cannot fill).
     */
    public String describeBatch(long items) {
        String s = effectiveBatch() + " images per step";
        return items < effectiveBatch() ? s + " (the data has only " + items + " item" + (items == 1 ? "" : "s")
                + ", so each step repeats some; lower --batch/--grad-accum or add data)" : s;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.batchSize = batchSize;
        b.gradAccum = gradAccum;
        b.lr = lr;
        b.lrScheduler = lrScheduler;
        b.warmup = warmup;
        b.maxGradNorm = maxGradNorm;
        b.adam = adam;
        b.ema = ema;
        b.seed = seed;
        b.checkpointEvery = checkpointEvery;
        b.keepLast = keepLast;
        b.resume = resume;
        b.validateEvery = validateEvery;
        b.logEvery = logEvery;
        b.devices = devices;
        b.allowChangedSetup = allowChangedSetup;
        b.gradientCheckpointing = gradientCheckpointing;
        b.mixedPrecision = mixedPrecision;
        return b;
    }

    /** Fluent construction starting from the defaults. */
    public static final class Builder {
        private long steps = 1000;
        private int batchSize = 16;
        private int gradAccum = 1;
        private double lr = 5e-5;
        private String lrScheduler = "constant";
        private long warmup = 0;
        private double maxGradNorm = 1.0;
        private AdamW.Config adam = AdamW.Config.defaults();
        private Ema.Config ema = null;
        private long seed = 0;
        private long checkpointEvery = 500;
        private int keepLast = 3;
        private String resume = null;
        private boolean allowChangedSetup;
        private boolean gradientCheckpointing;
        private String mixedPrecision = "no";
        private long validateEvery = 0;
        private int logEvery = 10;
        private List<Device> devices = List.of();

        public Builder steps(long v) {
            steps = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder gradAccum(int v) {
            gradAccum = v;
            return this;
        }

        public Builder lr(double v) {
            lr = v;
            return this;
        }

        public Builder lrScheduler(String v) {
            lrScheduler = v;
            return this;
        }

        public Builder warmup(long v) {
            warmup = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        public Builder adam(AdamW.Config v) {
            adam = v;
            return this;
        }

        public Builder ema(Ema.Config v) {
            ema = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        public Builder keepLast(int v) {
            keepLast = v;
            return this;
        }

        public Builder resume(String v) {
            resume = v;
            return this;
        }

        public Builder validateEvery(long v) {
            validateEvery = v;
            return this;
        }

        public Builder logEvery(int v) {
            logEvery = v;
            return this;
        }

        public Builder devices(List<Device> v) {
            devices = v;
            return this;
        }

        public Builder allowChangedSetup(boolean v) {
            allowChangedSetup = v;
            return this;
        }

        public Builder gradientCheckpointing(boolean v) {
            gradientCheckpointing = v;
            return this;
        }

        public Builder mixedPrecision(String v) {
            mixedPrecision = v;
            return this;
        }

        public TrainConfig build() {
            return new TrainConfig(steps, batchSize, gradAccum, lr, lrScheduler, warmup, maxGradNorm, adam, ema, seed,
                    checkpointEvery, keepLast, resume, validateEvery, logEvery, allowChangedSetup, devices,
                    gradientCheckpointing, mixedPrecision);
        }
    }
}
