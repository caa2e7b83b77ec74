package dev.bkd.train.lora;

import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.train.denoise.DenoisingRun;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LoRA run on the shared {@link TrainingLoop} with a {@link LoraObjective}, assembled like fine-tuning
 * ({@link DenoisingRun}). {@link #run} trains and writes {@value LoraFiles#WEIGHT_NAME} into the output folder,
 * next to metrics.jsonl, loss.png, checkpoints (adapter weights and optimizer state, for --resume) and samples.
 *
 * <pre>{@code
 * try (LoraTrainer t = LoraTrainer.prepare(options)) { TrainResult r = t.run(); }
 * }</pre>
 */
public final class LoraTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoraTrainer.class);

    private final DenoisingRun<LoraObjective> run;

    private LoraTrainer(DenoisingRun<LoraObjective> run) {
        this.run = run;
    }

    /** Loads and checks everything (targets, rank); nothing is trained yet. A is drawn from the run's seed. */
    public static LoraTrainer prepare(LoraOptions o) {
        DenoisingRun<LoraObjective> run = DenoisingRun.open(o.model(), o.data(), o.train(), o.device(), o.out(),
                o.snrGamma(), 0, p -> new LoraObjective(p.unet(), o.config(), o.trainTextEncoder() ? textEncoder(o, p)
                        : null, new Generator(o.train().seed()), p.weighting()));
        LoraObjective objective = run.objective();
        if (!o.validationPrompts().isEmpty()) {
            run.loop().validator(new LoraSamples(o.model(), objective.adapters(), o.validationPrompts(),
                    o.validationSteps(), o.train().seed(), o.device(), run.scratch()));
        }
        LOG.info("LoRA rank {} alpha {} on {} UNet layers matching {}{} ({} trainable parameters, the {} of the UNet"
                        + " frozen) on {} items, {}, target {}{}", o.rank(), o.alpha(),
                objective.adapter().layers().size(), o.targets(), o.trainTextEncoder() ? " and "
                        + objective.adapters().get(LoraFiles.TEXT_ENCODER).layers().size()
                        + " text-encoder layers matching " + o.textEncoderTargets() : "",
                objective.adapters().values().stream().mapToLong(LoraAdapter::parameterCount).sum(),
                objective.unet().parameterCount(), run.dataSize(), o.train().describeBatch(run.dataSize()), run.predictionType(),
                o.snrGamma() == null ? "" : ", min-SNR gamma " + o.snrGamma());
        return new LoraTrainer(run);
    }

    /** The pipeline's text encoder and tokenizer, float32 under the run's manager, to adapt. */
    private static LoraObjective.TextEncoder textEncoder(LoraOptions o, DenoisingRun.Parts p) {
        ClipTextModel model = ClipTextModel.fromPretrained(p.model().resolve("text_encoder"), p.manager(),
                Weights.LoadOptions.strictFp32());
        return new LoraObjective.TextEncoder(model, ClipTokenizer.fromPretrained(p.model().resolve("tokenizer")),
                o.textEncoderConfig());
    }

    /** The LoRA file a run writes into {@code out}. */
    public static Path weightsFile(Path out) {
        return out.resolve(LoraFiles.WEIGHT_NAME);
    }

    /** The loop, to attach a listener or a progress bar before {@link #run}. */
    public TrainingLoop loop() {
        return run.loop();
    }

    public LoraObjective objective() {
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
