package dev.bkd.examples.cli;

import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.optim.AdamW;
import dev.bkd.train.optim.Ema;
import picocli.CommandLine.Option;

/**
 * The training-loop options of bkd's trainers (distill, finetune, train-vae) as a picocli mixin. A command whose
 * default differs supplies it with a default-value provider ({@code bkd distill}: {@code --lr 5e-5}).
 */
final class TrainingMixin {
    @Option(names = "--steps", defaultValue = "1000", paramLabel = "N", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Images per micro-batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "K", description = "Micro-batches per step. Default: ${DEFAULT-VALUE}.")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "1e-4", paramLabel = "X", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--lr-scheduler", defaultValue = "constant", paramLabel = "NAME",
            description = "constant, constant_with_warmup, cosine or linear. Default: ${DEFAULT-VALUE}.")
    String lrScheduler;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "N", description = "Warmup steps. Default: ${DEFAULT-VALUE}.")
    long warmup;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "X",
            description = "Global-norm clip (0: off). Default: ${DEFAULT-VALUE}.")
    double maxGradNorm;

    @Option(names = "--adam-beta1", defaultValue = "0.9", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double beta1;

    @Option(names = "--adam-beta2", defaultValue = "0.999", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double beta2;

    @Option(names = "--adam-weight-decay", defaultValue = "1e-2", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--adam-epsilon", defaultValue = "1e-8", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double epsilon;

    @Option(names = "--ema", description = "Keep an EMA of the weights; the output gets the EMA weights.")
    boolean ema;

    @Option(names = "--ema-decay", defaultValue = "0.9999", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double emaDecay;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
            description = "Seed of data order, augmentation, noise and timesteps. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "500", paramLabel = "N",
            description = "Steps between checkpoints (0: only at the end). Default: ${DEFAULT-VALUE}.")
    long checkpointEvery;

    @Option(names = "--keep", defaultValue = "3", paramLabel = "K", description = "Checkpoints kept (0: all). Default: ${DEFAULT-VALUE}.")
    int keep;

    @Option(names = "--resume", paramLabel = "DIR|latest", description = "Continue from a checkpoint of --out.")
    String resume;

    @Option(names = "--allow-changed-setup", description = "With --resume: continue even though the teacher/model,"
            + " data, batch, resolution, lr, seed or loss weights differ from the checkpoint's (they are logged).")
    boolean allowChangedSetup;

    @Option(names = "--validate-every", defaultValue = "0", paramLabel = "N",
            description = "Steps between validation samples (0: only at the end).")
    long validateEvery;

    @Option(names = "--log-every", defaultValue = "10", paramLabel = "N",
            description = "Steps between progress lines when not on a terminal. Default: ${DEFAULT-VALUE}.")
    int logEvery;

    /** The loop config with --validate-every as given (0: validation, when there is any, runs once at the end). */
    TrainConfig config() {
        return builder().validateEvery(validateEvery).build();
    }

    /** The loop config; without --validate-every, validation (when there is any) runs once at the end. */
    TrainConfig config(boolean validating) {
        long every = validateEvery > 0 ? validateEvery : validating ? steps : 0;
        return builder().validateEvery(every).build();
    }

    @Option(names = "--gradient-checkpointing", description = "Recompute each UNet block in the backward instead of"
            + " keeping its activations: much less memory for about one more forward of time; same gradients.")
    boolean gradientCheckpointing;

    @Option(names = "--mixed-precision", defaultValue = "no", paramLabel = "no|fp16", description = "fp16: the"
            + " trained UNet's forward under float16 autocast (float32 master weights, loss in float32), dynamic loss"
            + " scaling (GradScaler's defaults, state kept in checkpoints) and, for distill, float16 frozen models"
            + " (slow on a CPU). Default: ${DEFAULT-VALUE}.")
    String mixedPrecision;

    private TrainConfig.Builder builder() {
        return TrainConfig.builder().steps(steps).batchSize(batch).gradAccum(gradAccum).lr(lr)
                .lrScheduler(lrScheduler).warmup(warmup).maxGradNorm(maxGradNorm)
                .adam(new AdamW.Config(beta1, beta2, epsilon, weightDecay))
                .ema(ema ? Ema.Config.defaults().withDecay(emaDecay) : null).seed(seed)
                .checkpointEvery(checkpointEvery).keepLast(keep).resume(resume).logEvery(logEvery)
                .allowChangedSetup(allowChangedSetup).gradientCheckpointing(gradientCheckpointing)
                .mixedPrecision(mixedPrecision);
    }
}
