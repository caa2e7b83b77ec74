package dev.bkd.train.distill;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.io.FileTrees;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.inpaint.InpaintingConditioner;
import dev.bkd.train.loop.BatchSource;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.DataParallel;
import dev.bkd.train.loop.ForwardProcess;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.OutputFolder;
import dev.bkd.train.loop.PixelConditioning;
import dev.bkd.train.loop.Sources;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.checkpoint.RunSetup;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.loop.ValidationSamples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A distillation run assembled from {@link DistillOptions}: teacher and frozen encoders from the teacher's
 * pipeline folder, the student (pruned or loaded), the KD spec, data (images or a latent cache), then one probe
 * forward so a bad feature pair fails now, not at step 1000. {@link #run} trains and writes the student pipeline.
 *
 * <pre>{@code
 * try (Distiller d = Distiller.prepare(options)) { TrainResult r = d.run(); }
 * }</pre>
 */
public final class Distiller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Distiller.class);
    /** The scratch pipeline folder validation samples are generated from (student unet/, links to the rest). */

    private final Path out;
    private final NDManager root;
    private final FrozenEncoders encoders;
    private final BatchSource data;
    private final DistillObjective objective;
    private final TrainingLoop loop;

    private Distiller(Path out, NDManager root, FrozenEncoders encoders, BatchSource data, DistillObjective objective,
                      TrainingLoop loop) {
        this.out = out;
        this.root = root;
        this.encoders = encoders;
        this.data = data;
        this.objective = objective;
        this.loop = loop;
    }

    /** Loads and checks everything; nothing is trained yet. */
    public static Distiller prepare(DistillOptions o) {
        Path teacher = o.teacher();
        if (!Files.isRegularFile(teacher.resolve("model_index.json"))) {
            throw new ConfigException(teacher + ": the teacher must be a diffusers pipeline folder (model_index.json"
                    + " with unet/, vae/, text_encoder/, tokenizer/, scheduler/)");
        }
        OutputFolder.check(o.out(), teacher, "teacher", o.train().resume());
        NDManager root = NDManager.newBaseManager(o.device());
        FrozenEncoders enc = null;
        BatchSource data = null;
        try {
            UNet2DConditionModel.Options frozen = new UNet2DConditionModel.Options(o.device(), o.frozenType(), null);
            UNet2DConditionModel.Options fp32 = UNet2DConditionModel.Options.defaults().withDevice(o.device());
            UNet2DConditionModel t = UNet2DConditionModel.fromPretrained(teacher.resolve("unet"), root, frozen);
            Students.Student s = o.student() != null ? Students.load(o.student(), root, fp32)
                    : Students.prune(teacher.resolve("unet"), o.variant(), root, fp32);
            String variant = o.variant() != null ? o.variant() : s.variant();
            KdSpec spec = KdPresets.spec(o.preset(), variant, o.pairsFile(), o.pairs(), o.lambdaTask(), o.lambdaOut(),
                    o.lambdaFeat());
            enc = FrozenEncoders.load(teacher, root, o.frozenType());
            DistillObjective objective = new DistillObjective(t, s.model(), spec, teacher);
            objective.probe(enc.latentShape(o.resolution()), enc.textShape(), root);
            data = Sources.open(new DataOptions(o.data(), o.dataOptions(), o.resolution(), o.centerCrop(),
                    o.randomFlip(), o.cacheDir()), o.train(), enc, root, inpainting(t, enc, o));
            ForwardProcess fwd = new ForwardProcess(SchedulerConfig.read(teacher.resolve("scheduler")
                    .resolve(SchedulerConfig.FILE_NAME)));
            LOG.info("distilling {} ({} parameters) into {} student ({} parameters); {}: λ {}; {} feature pairs {};"
                    + " {} items, {}, target {}", teacher, t.parameterCount(), variant,
                    s.model().parameterCount(), spec.source(), spec.weights(), spec.pairs().size(),
                    spec.pairs().stream().map(FeaturePair::key).toList(), data.size(), o.train().describeBatch(data.size()),
                    fwd.predictionType());
            TrainingLoop loop = new TrainingLoop(o.train(), objective, data, fwd, o.out(), root)
                    .setup(RunSetup.empty().with("teacher", teacher).with("student", o.student() != null
                            ? o.student() : variant).with("data", o.data()).with("resolution", o.resolution())
                            .with("center_crop", o.centerCrop()).with("random_flip", o.randomFlip())
                            .with("loss_weights", spec.weights()).with("feature_pairs", spec.pairs().size()));
            if (o.train().replicas() > 1) {
                // each replica: the frozen teacher and the student on its own device; weights synced at the start
                loop.dataParallel(DataParallel.replicate(objective, o.train().devices(), root, m -> {
                    UNet2DConditionModel.Options fr = new UNet2DConditionModel.Options(m.getDevice(), o.frozenType(), null);
                    UNet2DConditionModel.Options f32 = UNet2DConditionModel.Options.defaults().withDevice(m.getDevice());
                    Students.Student sr = o.student() != null ? Students.load(o.student(), m, f32)
                            : Students.prune(teacher.resolve("unet"), o.variant(), m, f32);
                    return new DistillObjective(UNet2DConditionModel.fromPretrained(teacher.resolve("unet"), m, fr),
                            sr.model(), spec, teacher);
                }));
            }
            if (!o.validationPrompts().isEmpty()) {
                loop.validator(new ValidationSamples(teacher, s.model(), o.validationPrompts(), o.validationSteps(),
                        o.train().seed(), o.device()));
            }
            return new Distiller(o.out(), root, enc, data, objective, loop);
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

    /**
     * For an inpainting teacher (unet in_channels = 2 x latent channels + 1): random masks and masked-image
     * latents that teacher and student both see ({@link InpaintingConditioner}); else null.
     */
    private static PixelConditioning inpainting(UNet2DConditionModel teacher, FrozenEncoders enc, DistillOptions o) {
        Shape latent = enc.latentShape(o.resolution());
        if (teacher.config().inChannels() != 2 * latent.get(1) + 1) {
            return null;
        }
        if (!o.validationPrompts().isEmpty()) {
            throw new ConfigException("--validation-prompt: validation samples of an inpainting student are not"
                    + " supported (they would need an init image and a mask); drop --validation-prompt");
        }
        LOG.info("inpainting teacher (unet in_channels {}): random masks and masked-image latents from the run's"
                + " seed feed teacher and student alike", teacher.config().inChannels());
        return new InpaintingConditioner(enc, (int) (o.resolution() / latent.get(2)));
    }

    /** The loop, to attach a listener or validator before {@link #run}. */
    public TrainingLoop loop() {
        return loop;
    }

    public DistillObjective objective() {
        return objective;
    }

    /** NDArrays alive under this run's manager (weights, optimizer state, the step in flight): flat when nothing leaks. */
    public int liveArrays() {
        return root.getManagedArrays().size();
    }

    /** Trains; see {@link TrainingLoop#run}. */
    public TrainResult run() {
        return loop.run();
    }

    /** Frees the models and data; removes the validation scratch folder. */
    @Override
    public void close() {
        try {
            FileTrees.delete(out.resolve(ValidationSamples.SCRATCH)); // older versions validated from a scratch pipeline here
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", out.resolve(ValidationSamples.SCRATCH), e.getMessage());
        }
        data.close();
        encoders.close();
        root.close();
    }
}
