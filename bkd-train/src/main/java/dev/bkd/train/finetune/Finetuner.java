package dev.bkd.train.finetune;

import dev.bkd.train.denoise.DenoisingRun;
import dev.bkd.train.loop.ValidationSamples;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fine-tuning run on the shared {@link TrainingLoop} with a {@link FinetuneObjective}: UNet and frozen encoders
 * from the model's pipeline folder, data (images or a latent cache), the scheduler's forward process, optional
 * validation samples ({@link DenoisingRun}). {@link #run} trains and writes the fine-tuned pipeline into the
 * output folder.
 *
 * <pre>{@code
 * try (Finetuner f = Finetuner.prepare(options)) { TrainResult r = f.run(); }
 * }</pre>
 */
public final class Finetuner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Finetuner.class);
    /** The scratch pipeline folder validation samples are drawn from (as in distillation). */
    public static final String SCRATCH = DenoisingRun.SCRATCH;

    private final DenoisingRun<FinetuneObjective> run;

    private Finetuner(DenoisingRun<FinetuneObjective> run) {
        this.run = run;
    }

    /** Loads and checks everything; nothing is trained yet. */
    public static Finetuner prepare(FinetuneOptions o) {
        DenoisingRun<FinetuneObjective> run = DenoisingRun.open(o.model(), o.data(), o.train(), o.device(), o.out(),
                o.snrGamma(), o.proportionEmptyPrompts(), p -> new FinetuneObjective(p.unet(), p.weighting(), o.model()));
        FinetuneObjective objective = run.objective();
        if (!o.validationPrompts().isEmpty()) {
            run.loop().validator(new ValidationSamples(o.model(), objective.unet(), o.validationPrompts(),
                    o.validationSteps(), o.train().seed(), o.device()));
        }
        LOG.info("fine-tuning {} ({} UNet parameters) on {} items, {}, target {}{}", o.model(),
                objective.unet().parameterCount(), run.dataSize(), o.train().describeBatch(run.dataSize()), run.predictionType(),
                o.snrGamma() == null ? "" : ", min-SNR gamma " + o.snrGamma());
        return new Finetuner(run);
    }

    /** The loop, to attach a listener or a progress bar before {@link #run}. */
    public TrainingLoop loop() {
        return run.loop();
    }

    public FinetuneObjective objective() {
        return run.objective();
    }

    /** Trains; see {@link TrainingLoop#run}. */
    public TrainResult run() {
        return run.run();
    }

    @Override
    public void close() {
        run.close();
    }
}
