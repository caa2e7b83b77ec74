package dev.bkd.examples.cli;

import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.train.finetune.FinetuneOptions;
import dev.bkd.train.finetune.Finetuner;
import dev.bkd.train.loop.TrainResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd finetune}: full fine-tuning of a pipeline's UNet on captioned images. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune every UNet weight of a pipeline with the standard text-to-image objective (MSE on the"
            + " noise or velocity, as the scheduler's prediction_type says; optional min-SNR weighting) on the shared"
            + " training loop: data or latent cache, AdamW, LR schedule, EMA, accumulation, checkpoints and --resume,"
            + " validation grids, metrics.jsonl and loss.png. The output folder ends as a complete pipeline folder.")
final class FinetuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE",
            description = "Pipeline folder or single-file checkpoint to start from.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (run and final pipeline).")
    Path out;

    @Mixin
    ModelDataMixin data;

    @Mixin
    TrainingMixin training;

    @Mixin
    ValidationMixin validation;

    @Mixin
    DevicesMixin devices;

    @Option(names = "--snr-gamma", paramLabel = "GAMMA", description = "Min-SNR loss weighting with this gamma (5 is usual).")
    Double snrGamma;

    @Option(names = "--proportion-empty-prompts", defaultValue = "0", paramLabel = "P",
            description = "Share of captions replaced by the empty prompt, so classifier-free guidance has an"
                + " unconditional model to work with (diffusers' --proportion_empty_prompts). Default: ${DEFAULT-VALUE}.")
    double proportionEmptyPrompts;

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @picocli.CommandLine.Mixin
    EvalMixin evaluation;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        model = checkpoint.folder(model, spec.commandLine().getErr());
        FinetuneOptions o = new FinetuneOptions(model, data.forModel(defaultResolution(model)),
                devices.apply(training.config(validation.any())), devices.primary(null), out, snrGamma, proportionEmptyPrompts,
                validation.prompts, validation.steps);
        TrainResult r;
        try (Finetuner f = Finetuner.prepare(o);
             ai.djl.ndarray.NDManager evalManager = ai.djl.ndarray.NDManager.newBaseManager();
             var ev = evaluation.attach(f.loop(), model, f.objective().unet(), o.train().seed(),
                     ai.djl.Device.cpu(), evalManager, data.dataset(), o.data().resolution())) {
            r = f.run();
        }
        Trained.report(w, r, out);
        return 0;
    }

    /** The pixel size the model generates by default: unet sample_size x VAE factor. */
    static int defaultResolution(Path pipeline) {
        UNet2DConditionConfig u = UNet2DConditionConfig.read(pipeline.resolve("unet").resolve("config.json"));
        AutoencoderKLConfig v = AutoencoderKLConfig.read(pipeline.resolve("vae").resolve("config.json"));
        return u.sampleSize().get(0) * v.downscaleFactor();
    }
}
