package dev.bkd.examples.cli;

import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.optim.AdamW;
import dev.bkd.train.optim.Ema;
import picocli.CommandLine.Option;

/** The training-loop options every bkd trainer shares (fine-tune, distill, VAE), as picocli mixin. */
final class TrainingMixin {
    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch-size", defaultValue = "16", description = "Images per micro-batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "1e-4", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-scheduler", defaultValue = "constant",
            description = "constant, constant_with_warmup, cosine or linear (default ${DEFAULT-VALUE}).")
    String lrScheduler;

    @Option(names = "--warmup", defaultValue = "0", description = "Warm-up steps (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--weight-decay", defaultValue = "1e-2", description = "AdamW weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global-norm clip, 0 for none (default ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--ema", paramLabel = "DECAY", description = "Keep an EMA of the weights with this decay; the EMA is saved.")
    Double ema;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of data order, noise and timesteps (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(names = "--keep", defaultValue = "3", description = "Checkpoints kept, 0 for all (default ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--resume", paramLabel = "latest|DIR", description = "Continue from a checkpoint of this output folder.")
    String resume;

    @Option(names = "--validate-every", defaultValue = "0", description = "Steps between validation grids (default: only at the end).")
    long validateEvery;

    @Option(names = "--log-every", defaultValue = "10", description = "Steps between progress lines off a terminal (default ${DEFAULT-VALUE}).")
    int logEvery;

    /** The loop config; validation runs every {@code --validate-every} steps, or once at the end when prompts are set. */
    TrainConfig config(boolean validating) {
        AdamW.Config d = AdamW.Config.defaults();
        long every = validateEvery > 0 ? validateEvery : validating ? steps : 0;
        return TrainConfig.builder().steps(steps).batchSize(batchSize).gradAccum(gradAccum).lr(lr)
                .lrScheduler(lrScheduler).warmup(warmup).maxGradNorm(maxGradNorm)
                .adam(new AdamW.Config(d.beta1(), d.beta2(), d.eps(), weightDecay))
                .ema(ema == null ? null : Ema.Config.defaults().withDecay(ema)).seed(seed)
                .checkpointEvery(checkpointEvery).keepLast(keep).resume(resume).validateEvery(every).logEvery(logEvery)
                .build();
    }
}
