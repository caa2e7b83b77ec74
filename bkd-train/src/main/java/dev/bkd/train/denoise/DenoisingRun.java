package dev.bkd.train.denoise;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.io.FileTrees;
import dev.bkd.train.loop.BatchSource;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.DataParallel;
import dev.bkd.train.loop.EmptyPrompts;
import dev.bkd.train.loop.ForwardProcess;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.Objective;
import dev.bkd.train.loop.OutputFolder;
import dev.bkd.train.loop.Sources;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.checkpoint.RunSetup;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.loop.ValidationSamples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assembly full fine-tuning and LoRA share: a pipeline folder's UNet and frozen encoders, the data (images or
 * a latent cache), the scheduler's forward process and optional min-SNR weighting, on the shared
 * {@link TrainingLoop}. Only the {@link Objective} built from those parts differs.
 *
 * @param <O> the objective's type
 */
public final class DenoisingRun<O extends Objective> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DenoisingRun.class);
    /** The scratch folder validation samples are drawn from (as in distillation). */
    public static final String SCRATCH = ValidationSamples.SCRATCH;

    /**
     * What an objective is built from: the UNet (float32, on the training device), scheduler, weighting, and the
     * pipeline folder and run manager for anything else it loads (closed with the run).
     */
    public record Parts(UNet2DConditionModel unet, SchedulerConfig scheduler, MinSnrWeighting weighting, Path model,
                        NDManager manager) {}

    private final NDManager root;
    private final FrozenEncoders encoders;
    private final BatchSource data;
    private final O objective;
    private final DataParallel parallel;
    private final ForwardProcess forward;
    private final Path scratch;
    private final TrainingLoop loop;

    private DenoisingRun(NDManager root, FrozenEncoders encoders, BatchSource data, O objective,
                         DataParallel parallel, ForwardProcess forward, Path scratch, TrainingLoop loop) {
        this.parallel = parallel;
        this.root = root;
        this.encoders = encoders;
        this.data = data;
        this.objective = objective;
        this.forward = forward;
        this.scratch = scratch;
        this.loop = loop;
    }

    /**
     * Loads and checks everything; nothing is trained yet. The objective is built before the data is opened, so
     * its configuration errors come before a latent cache is encoded.
     */
    public static <O extends Objective> DenoisingRun<O> open(Path model, DataOptions dataOptions, TrainConfig train,
                                                             Device device, Path out, Double snrGamma,
                                                             double proportionEmptyPrompts,
                                                             Function<Parts, O> objective) {
        if (!Files.isRegularFile(model.resolve("model_index.json"))) {
            throw new ConfigException(model + ": the model must be a diffusers pipeline folder (model_index.json"
                    + " with unet/, vae/, text_encoder/, tokenizer/, scheduler/)");
        }
        OutputFolder.check(out, model, "model", train.resume());
        NDManager root = NDManager.newBaseManager(device);
        FrozenEncoders enc = null;
        BatchSource data = null;
        O o = null;
        DataParallel parallel = null;
        try {
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(model.resolve("unet"), root,
                    UNet2DConditionModel.Options.defaults().withDevice(device));
            SchedulerConfig sched = SchedulerConfig.read(model.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
            ForwardProcess fwd = new ForwardProcess(sched);
            MinSnrWeighting weighting = snrGamma == null ? null : new MinSnrWeighting(sched, snrGamma);
            o = objective.apply(new Parts(unet, sched, weighting, model, root));
            if (train.replicas() > 1) {
                parallel = DataParallel.replicate(o, train.devices(), root, m -> objective.apply(new Parts(
                        UNet2DConditionModel.fromPretrained(model.resolve("unet"), m,
                                UNet2DConditionModel.Options.defaults().withDevice(m.getDevice())),
                        sched, weighting, model, m)));
            }
            enc = FrozenEncoders.load(model, root, DataType.FLOAT32);
            data = EmptyPrompts.wrap(Sources.open(dataOptions, train, enc, root), proportionEmptyPrompts, enc, root);
            TrainingLoop loop = new TrainingLoop(train, o, data, fwd, out, root)
                    .setup(RunSetup.empty().with("model", model).with("data", dataOptions.data())
                            .with("resolution", dataOptions.resolution()).with("center_crop", dataOptions.centerCrop())
                            .with("random_flip", dataOptions.randomFlip()).with("snr_gamma", snrGamma)
                            .with("empty_prompts", proportionEmptyPrompts));
            if (parallel != null) {
                loop.dataParallel(parallel);
            }
            return new DenoisingRun<>(root, enc, data, o, parallel, fwd, out.resolve(SCRATCH), loop);
        } catch (RuntimeException e) {
            if (data != null) {
                data.close();
            }
            if (enc != null) {
                enc.close();
            }
            if (parallel != null) {
                parallel.close();
            }
            if (o != null) {
                o.close();
            }
            root.close();
            throw e;
        }
    }

    /** The loop, to attach a validator, a listener or a progress bar before {@link #run}. */
    public TrainingLoop loop() {
        return loop;
    }

    public O objective() {
        return objective;
    }

    /** Items in the training data. */
    public int dataSize() {
        return data.size();
    }

    /** epsilon or v_prediction, from the scheduler config. */
    public String predictionType() {
        return forward.predictionType();
    }

    /** The scratch folder under the output ({@value #SCRATCH}), removed by {@link #close}. */
    public Path scratch() {
        return scratch;
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
        if (parallel != null) {
            parallel.close();
        }
        objective.close();
        root.close();
    }
}
