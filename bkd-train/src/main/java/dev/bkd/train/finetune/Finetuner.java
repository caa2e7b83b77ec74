package dev.bkd.train.finetune;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.FileTrees;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.distill.StudentSamples;
import dev.bkd.train.loop.BatchSource;
import dev.bkd.train.loop.EmptyPrompts;
import dev.bkd.train.loop.ForwardProcess;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.OutputFolder;
import dev.bkd.train.loop.Sources;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fine-tuning run on the shared {@link TrainingLoop} with a {@link FinetuneObjective}: UNet and frozen encoders
 * from the model's pipeline folder, data (images or a latent cache), the scheduler's forward process, optional
 * validation samples. {@link #run} trains and writes the fine-tuned pipeline into the output folder.
 *
 * <pre>{@code
 * try (Finetuner f = Finetuner.prepare(options)) { TrainResult r = f.run(); }
 * }</pre>
 */
public final class Finetuner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Finetuner.class);
    /** The scratch pipeline folder validation samples are drawn from (as in distillation). */
    public static final String SCRATCH = Distiller.SCRATCH;

    private final NDManager root;
    private final FrozenEncoders encoders;
    private final BatchSource data;
    private final FinetuneObjective objective;
    private final Path scratch;
    private final TrainingLoop loop;

    private Finetuner(NDManager root, FrozenEncoders encoders, BatchSource data, FinetuneObjective objective,
                      Path scratch, TrainingLoop loop) {
        this.root = root;
        this.encoders = encoders;
        this.data = data;
        this.objective = objective;
        this.scratch = scratch;
        this.loop = loop;
    }

    /** Loads and checks everything; nothing is trained yet. */
    public static Finetuner prepare(FinetuneOptions o) {
        Path model = o.model();
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
            throw new ConfigException(model + ": the model must be a diffusers pipeline folder (model_index.json"
                    + " with unet/, vae/, text_encoder/, tokenizer/, scheduler/)");
        }
        OutputFolder.check(o.out(), model, "model", o.train().resume());
        NDManager root = NDManager.newBaseManager(o.device());
        FrozenEncoders enc = null;
        BatchSource data = null;
        try {
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(model.resolve("unet"), root,
                    UNet2DConditionModel.Options.defaults().withDevice(o.device()));
            enc = FrozenEncoders.load(model, root, DataType.FLOAT32);
            SchedulerConfig sched = SchedulerConfig.read(model.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
            ForwardProcess fwd = new ForwardProcess(sched);
            MinSnrWeighting weighting = o.snrGamma() == null ? null : new MinSnrWeighting(sched, o.snrGamma());
            FinetuneObjective objective = new FinetuneObjective(unet, weighting, model);
            data = EmptyPrompts.wrap(Sources.open(o.data(), o.train(), enc, root), o.proportionEmptyPrompts(), enc, root);
            TrainingLoop loop = new TrainingLoop(o.train(), objective, data, fwd, o.out(), root);
            if (!o.validationPrompts().isEmpty()) {
                loop.validator(new StudentSamples(model, unet, o.validationPrompts(), o.validationSteps(),
                        o.train().seed(), o.device(), o.out().resolve(SCRATCH)));
            }
            LOG.info("fine-tuning {} ({} UNet parameters) on {} items, {} images per step, target {}{}", model,
                    unet.parameterCount(), data.size(), o.train().effectiveBatch(), fwd.predictionType(),
                    o.snrGamma() == null ? "" : ", min-SNR gamma " + o.snrGamma());
            return new Finetuner(root, enc, data, objective, o.out().resolve(SCRATCH), loop);
        } catch (RuntimeException e) {
            if (data != null) {
                data.close();
            }
            if (enc != null) {
                enc.close();
            }
            root.close();
            throw e;
        }
    }

    /** The loop, to attach a listener or a progress bar before {@link #run}. */
    public TrainingLoop loop() {
        return loop;
    }

    public FinetuneObjective objective() {
        return objective;
    }

    /** Trains; see {@link TrainingLoop#run}. */
    public TrainResult run() {
        return loop.run();
    }

    @Override
    public void close() {
        try {
            FileTrees.delete(scratch); // links to the model's components: only the links go
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", scratch, e.getMessage());
        }
        data.close();
        encoders.close();
        root.close();
    }
}
