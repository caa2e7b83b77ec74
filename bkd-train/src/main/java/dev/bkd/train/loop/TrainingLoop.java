package dev.bkd.train.loop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.djl.Scalars;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.StateDict;
import dev.bkd.train.NonFiniteLossException;
import dev.bkd.train.checkpoint.Checkpoint;
import dev.bkd.train.checkpoint.CheckpointException;
import dev.bkd.train.checkpoint.CheckpointManager;
import dev.bkd.train.checkpoint.RunSetup;
import dev.bkd.train.checkpoint.TrainerState;
import dev.bkd.train.log.LossPlot;
import dev.bkd.train.log.MetricsWriter;
import dev.bkd.train.log.ProgressBar;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.log.StopSignal;
import dev.bkd.train.optim.AdamW;
import dev.bkd.core.djl.Autograd;
import dev.bkd.train.optim.Ema;
import dev.bkd.train.optim.GradClip;
import dev.bkd.train.optim.GradScaler;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.optim.LrSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop every bkd trainer shares; an {@link Objective} supplies the model and the loss. Per optimizer
 * step: data -> noise -> objective loss (per micro-batch, backward of loss / K) -> global-norm clip -> AdamW at
 * the scheduled rate -> EMA -> log -> checkpoint. A step's arrays live in a sub-manager closed at its end.
 *
 * <p>Output folder: {@code checkpoint-<step>/} (model, optimizer, ema weight sets; step, data position and RNG
 * in trainer_state.json), {@value #METRICS}, {@value #PLOT}, {@code samples/}, and what {@link Objective#save}
 * writes at the end.
 */
public final class TrainingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    public static final String METRICS = "metrics.jsonl";
    public static final String PLOT = "loss.png";
    public static final String SAMPLES = "samples";
    /** Weight-set names in checkpoints and the RNG's name in trainer_state.json. */
    public static final String MODEL = "model";
    public static final String OPTIMIZER = "optimizer";
    public static final String EMA = "ema";
    public static final String RNG = "noise";
    /** trainer_state.json key of the loss scaler's state (--mixed-precision fp16). */
    public static final String SCALER = "grad_scaler";

    private final TrainConfig cfg;
    private final Objective objective;
    private final BatchSource data;
    private final ForwardProcess forward;
    private final Path out;
    private final NDManager root;
    private Validator validator;
    private StepListener listener;
    private Evaluator evaluator;
    private BatchSource heldOut;
    private int evalEvery;
    private String keepBest;
    private ProgressBar progress;
    private DataParallel parallel;
    private RunSetup setup = RunSetup.empty();
    /** Fraction of the last step's time spent in {@link BatchSource#next} (waiting for decoded, encoded data). */
    private double lastDataWait = Double.NaN;
    private GradScaler scaler;

    /** Arrays live under {@code root} (its device is the training device). */
    public TrainingLoop(TrainConfig cfg, Objective objective, BatchSource data, ForwardProcess forward, Path outputDir,
                        NDManager root) {
        this.cfg = cfg;
        this.objective = objective;
        this.data = data;
        this.forward = forward;
        this.out = outputDir;
        this.root = root;
    }

    /** Called every {@link TrainConfig#validateEvery} steps (if not 0) and with the final weights at the end. */
    public TrainingLoop validator(Validator v) {
        this.validator = v;
        return this;
    }

    /** As {@link #evaluation(Evaluator, int, String)}, the loss terms on held-out images ({@code val_<term>}). */
    public TrainingLoop evaluation(Evaluator e, int every, String keepBest, BatchSource heldOut) {
        evaluation(e, every, keepBest);
        this.heldOut = heldOut;
        return this;
    }

    /**
     * Every {@code every} steps, logs the loss terms on one fixed training batch ({@code fixed_train_<term>}, see
     * {@link ValidationLoss}) and what {@code e} measures (may be null) into the metrics and the loss plot. With
     * {@code keepBest} (one of those names), the weights with the best value so far are saved to {@code best/}
     * (highest for a CLIP score, lowest otherwise), with {@code best.json} saying step and value.
     */
    public TrainingLoop evaluation(Evaluator e, int every, String keepBest) {
        if (every <= 0) {
            throw new IllegalArgumentException("--eval-every must be positive, got " + every);
        }
        this.evaluator = e;
        this.evalEvery = every;
        this.keepBest = keepBest;
        return this;
    }

    /** Sees every finished step. */
    public TrainingLoop listener(StepListener l) {
        this.listener = l;
        return this;
    }

    /**
     * Spreads each step's micro-batches over the replicas of {@code dp} (whose replica 0 must be this loop's
     * objective), so a step sees {@code gradAccum x replicas} micro-batches; see {@link DataParallel}.
     */
    public TrainingLoop dataParallel(DataParallel dp) {
        if (dp.replicaFor(0) != objective) {
            throw new IllegalArgumentException("replica 0 must be the loop's objective");
        }
        this.parallel = dp.size() > 1 ? dp : null;
        return this;
    }

    /**
     * What this run is set up with beyond the loop's own knobs (teacher or model, data, resolution, loss
     * weights): recorded in every checkpoint and compared on {@code --resume}.
     */
    public TrainingLoop setup(RunSetup s) {
        this.setup = s;
        return this;
    }

    /** The full setup: the caller's plus the loop knobs that change what is trained. */
    private RunSetup fullSetup() {
        // micro-batches per step: K replicas x accumulation A is the step of one device with K·A (DataParallel),
        // so either may resume the other
        return setup.with("batch", cfg.batchSize()).with("grad_accum", cfg.gradAccum() * cfg.replicas())
                .with("lr", cfg.lr())
                .with("lr_scheduler", cfg.lrScheduler()).with("warmup", cfg.warmup())
                .with("max_grad_norm", cfg.maxGradNorm()).with("adam", cfg.adam())
                .with("ema", cfg.ema()).with("seed", Long.toUnsignedString(cfg.seed()));
    }

    /** Replaces the stderr progress bar. */
    public TrainingLoop progress(ProgressBar p) {
        this.progress = p;
        return this;
    }

    /** Trains up to {@link TrainConfig#steps}; a NaN/Inf loss throws {@link NonFiniteLossException} (no checkpoint). */
    public TrainResult run() {
        CheckpointManager ckpts = new CheckpointManager(out, cfg.keepLast());
        Map<String, NDArray> params = objective.trainable();
        objective.gradientCheckpointing(cfg.gradientCheckpointing());
        for (int i = 0; parallel != null && i < parallel.size(); i++) {
            parallel.replicaFor(i).gradientCheckpointing(cfg.gradientCheckpointing());
        }
        if (cfg.fp16()) {
            mixedPrecision();
        }
        scaler = cfg.fp16() ? new GradScaler(GradScaler.Config.defaults()) : null;
        Generator rng = new Generator(cfg.seed());
        LrSchedule schedule = cfg.schedule();
        try (AdamW adamw = new AdamW(root, cfg.adam());
             Ema ema = cfg.ema() == null ? null : new Ema(params, root, cfg.ema())) {
            long step = resume(ckpts, params, adamw, ema, rng);
            if (parallel != null) {
                parallel.broadcast(); // replicas start from the (possibly resumed) master weights
            }
            ProgressBar bar = progress != null ? progress : ProgressBar.forStderr(cfg.steps(), cfg.logEvery());
            Path last = null;
            long saved = step;
            String stoppedBy = null;
            try (StopSignal stop = StopSignal.install();
                 MetricsWriter metrics = MetricsWriter.open(out.resolve(METRICS), step > 0 ? step : -1);
                 Evaluations evaluations = new Evaluations(evalEvery > 0, evaluator, keepBest, objective, data,
                         heldOut, forward, root, out)) {
                while (step < cfg.steps() && !stop.requested()) {
                    StepMetrics m;
                    try {
                        m = step(step, params, adamw, ema, rng, schedule.lr(step));
                    } catch (NonFiniteLossException e) {
                        Object good = last != null ? last : ckpts.latest().map(Path::toString).orElse("none yet");
                        LOG.error("{}; nothing was saved for it, the last good checkpoint is {}", e.getMessage(), good);
                        throw e;
                    }
                    step++;
                    if (evalEvery > 0 && step % evalEvery == 0) {
                        m = evaluations.evaluate(step, m);
                    }
                    metrics.write(m);                                                   // log
                    bar.update(step, m.losses(), m.imagesPerSecond(), lastDataWait);
                    if (listener != null && !listener.afterStep(m)) {
                        stop.request("stopped by " + listener.getClass().getSimpleName());
                    }
                    if (cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0 || stop.requested()) {
                        last = checkpoint(ckpts, step, params, adamw, ema, rng);      // checkpoint
                        saved = step;
                    }
                    if (cfg.validateEvery() > 0 && step % cfg.validateEvery() == 0) {
                        validate(step);
                    }
                }
                bar.finish();
                stoppedBy = stop.reason();
            }
            if (saved != step) {
                last = checkpoint(ckpts, step, params, adamw, ema, rng);
            }
            if (stoppedBy != null) {
                LOG.info("{} at step {}: checkpoint {} written; continue with --resume latest", stoppedBy, step, last);
                return new TrainResult(step, stoppedBy, last);
            }
            if (ema != null) {
                Params.copyFrom(ema.shadow(), params);
            }
            objective.save(out);
            if (cfg.validateEvery() == 0 || step % cfg.validateEvery() != 0) {
                validate(step);
            }
            return new TrainResult(step, null, last != null ? last : ckpts.latest().orElse(null));
        }
    }

    /**
     * --mixed-precision fp16: the trained model's forward under autocast, when the objective has one. Refuses to start
     * when the differentiable cast is missing (pure-DJL ops): autocast would then train nothing upstream of a cast.
     */
    private void mixedPrecision() {
        List<Objective> all = new ArrayList<>(List.of(objective));
        for (int i = 0; parallel != null && i < parallel.size(); i++) {
            all.add(parallel.replicaFor(i)); // replica 0 may be the objective itself: asking twice is harmless
        }
        for (Objective o : all) {
            if (!o.autocast(true)) {
                LOG.warn("--mixed-precision fp16: `{}` has no autocast forward; it trains in float32 math with"
                        + " dynamic loss scaling only", o.name());
                return;
            }
            String why = o.trainable().values().stream().findFirst().map(Ops::castKeepsGradients).orElse(null);
            if (why != null) {
                throw new ConfigException("--mixed-precision fp16 runs the trained model under float16 autocast, but "
                        + why + ". Fix the TorchScript ops (bkd doctor; DjlWorkaroundsCanaryTest) or train with"
                        + " --mixed-precision no");
            }
        }
    }

    /** Samples for the weights after {@code step}; a failure is logged, never allowed to end the run. */
    private void validate(long step) {
        if (validator == null) {
            return;
        }
        try {
            validator.validate(step, out.resolve(SAMPLES));
        } catch (BkdException e) {
            LOG.warn("validation at step {} failed, training goes on: {}", step, e.getMessage());
        }
    }

    /** One optimizer step over {@code gradAccum} micro-batches. */
    private StepMetrics step(long step, Map<String, NDArray> params, AdamW adamw, Ema ema, Generator rng, double lr) {
        long t0 = System.nanoTime();
        Map<String, Double> losses = new LinkedHashMap<>();
        int images = 0;
        int k = cfg.gradAccum() * (parallel == null ? 1 : parallel.size());
        long dataNanos = 0;
        try (NDManager s = root.newSubManager()) {
            Map<String, NDArray> reduced = parallel == null ? null : new LinkedHashMap<>();
            for (int micro = 0; micro < k; micro++) {
                try (NDManager mb = s.newSubManager()) {
                    long d0 = System.nanoTime();
                    CleanBatch clean = data.next(mb, rng);                              // data
                    dataNanos += System.nanoTime() - d0;
                    DiffusionBatch batch = forward.apply(clean, rng, mb);               // noise
                    Objective o = parallel == null ? objective : parallel.replicaFor(micro);
                    DiffusionBatch onDevice = parallel == null ? batch : parallel.onReplica(batch, micro);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        LossTerms l = o.loss(onDevice);                                 // model(s) and loss
                        for (Map.Entry<String, NDArray> e : l.logged().entrySet()) {
                            double v = NonFiniteLossException.check(step + 1, e.getKey(), e.getValue().getFloat());
                            losses.merge(e.getKey(), v / k, Double::sum);
                        }
                        gc.backward(scaler == null ? Scalars.div(l.total(), (float) k)     // backward
                                : Scalars.mul(l.total(), scaler.scale() / k));
                        l.afterBackward().run(); // checkpointed UNet blocks: replay into the parameters
                    }
                    if (parallel != null) {
                        parallel.accumulate(micro, reduced, s);                         // reduce, in micro order
                    }
                    images += batch.size();
                }
            }
            Map<String, NDArray> grads = parallel == null ? Autograd.grads(params, s) : reduced;   // step
            if (scaler != null && !scaler.unscale(grads.values())) {
                // GradScaler: an overflowed step is skipped (no update, no EMA) and the scale halves
                LOG.info("step {}: inf/NaN gradients at loss scale {}; update skipped, scale halved", step + 1,
                        scaler.scale());
                scaler.update(true);
                Autograd.zeroGrads(params);
                return metrics(step, losses, lr, Double.NaN, images, t0, dataNanos);
            }
            double norm = cfg.maxGradNorm() > 0 ? GradClip.clipGlobalNorm(grads.values(), cfg.maxGradNorm())
                    : GradClip.globalNorm(grads.values());
            NonFiniteLossException.check(step + 1, "grad_norm", norm);
            adamw.step(params, grads, lr);
            if (scaler != null) {
                scaler.update(false);
            }
            Autograd.zeroGrads(params);
            if (parallel != null) {
                parallel.broadcast();
            }
            if (ema != null) {
                ema.step(params);
            }
            return metrics(step, losses, lr, norm, images, t0, dataNanos);
        }
    }

    /** The step's log line values; also keeps the share of the step spent waiting for data, for the progress bar. */
    private StepMetrics metrics(long step, Map<String, Double> losses, double lr, double norm, int images, long t0,
            long dataNanos) {
        double secs = (System.nanoTime() - t0) / 1e9;
        lastDataWait = dataNanos / 1e9 / secs;
        return new StepMetrics(step + 1, losses, lr, norm, images / secs);
    }

    private Path checkpoint(CheckpointManager ckpts, long step, Map<String, NDArray> params, AdamW adamw, Ema ema,
                            Generator rng) {
        Path dir;
        try (NDManager s = root.newSubManager()) {
            Map<String, Map<String, NDArray>> sets = new LinkedHashMap<>();
            sets.put(MODEL, params);
            sets.put(OPTIMIZER, adamw.stateDict(s));
            TrainerState state = TrainerState.of(step, data.position()).withRng(RNG, rng)
                    .withExtra("objective", TextNode.valueOf(objective.name()))
                    .withExtra(RunSetup.KEY, fullSetup().toJson());
            if (scaler != null) {
                state = state.withExtra(SCALER, scaler.state());
            }
            if (ema != null) {
                sets.put(EMA, ema.shadow());
                state = state.withExtra("ema_step", LongNode.valueOf(ema.optimizationStep()));
            }
            dir = ckpts.save(state, sets);
        }
        LossPlot.write(out.resolve(PLOT), MetricsWriter.read(out.resolve(METRICS)), 900, 500);
        return dir;
    }

    /** Restores everything a checkpoint holds; returns the step to continue from (0 for a fresh run). */
    private long resume(CheckpointManager ckpts, Map<String, NDArray> params, AdamW adamw, Ema ema, Generator rng) {
        if (cfg.resume() == null) {
            return 0;
        }
        Path dir = ckpts.resolve(cfg.resume()).orElse(null);
        if (dir == null) {
            LOG.info("--resume {}: no checkpoint in {} yet; starting a new run", cfg.resume(), out);
            return 0;
        }
        Set<String> required = new HashSet<>(Set.of(MODEL, OPTIMIZER));
        if (ema != null) {
            required.add(EMA);
        }
        Checkpoint c = ckpts.loadPointingToIntact(dir, required);
        String src = dir.toString();
        JsonNode kind = c.state().extra().get("objective");
        if (kind == null || !objective.name().equals(kind.asText())) {
            throw new CheckpointException(src + ": was written by a `" + (kind == null ? "?" : kind.asText())
                    + "` run; this run trains `" + objective.name() + "`");
        }
        ResumeCheck.check(c, out, cfg, fullSetup());
        try (NDManager s = root.newSubManager()) {
            try (StateDict w = c.open(MODEL)) {
                Params.copyFrom(w, params, s, c.file(MODEL).toString());
            }
            try (StateDict o = c.open(OPTIMIZER)) {
                adamw.loadStateDict(o, params, c.file(OPTIMIZER).toString());
            }
            if (ema != null) {
                JsonNode n = c.state().extra().get("ema_step");
                try (StateDict e = c.open(EMA)) {
                    ema.load(e, n == null ? c.step() : n.asLong(), c.file(EMA).toString());
                }
            }
        }
        c.state().restoreRng(RNG, rng, src);
        if (scaler != null) {
            scaler.restore(c.state().extra().get(SCALER), src);
        }
        try {
            data.seek(c.state().data());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(src + ": cannot continue the data where it stopped: " + e.getMessage());
        }
        LOG.info("resumed from {} at step {}", dir, c.step());
        return c.step();
    }
}
