package dev.bkd.examples.cli;

import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.vae.VaeOptions;
import dev.bkd.train.vae.VaeTrainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd train-vae}: trains a pipeline's autoencoder on images. */
@Command(name = "train-vae", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the AutoencoderKL of a pipeline on images (reconstruction MSE from a posterior sample plus"
            + " a small KL term, as LDM's first stage without its perceptual and adversarial losses) on the shared"
            + " training loop, then set its scaling_factor to 1/std of the latents. The output folder ends as a"
            + " complete pipeline folder with the trained vae/.")
final class TrainVaeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Pipeline folder whose vae/ trains.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (run and final pipeline).")
    Path out;

    @Mixin
    ModelDataMixin data;

    @Mixin
    TrainingMixin training;

    @Option(names = "--kl-weight", defaultValue = "1e-6", description = "Weight of the KL term (default ${DEFAULT-VALUE}, LDM's).")
    double klWeight;

    @Option(names = "--calibration-images", defaultValue = "512",
            description = "Images whose latents set scaling_factor (default ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        model = checkpoint.folder(model, spec.commandLine().getErr());
        AutoencoderKLConfig v = AutoencoderKLConfig.read(model.resolve("vae").resolve("config.json"));
        VaeOptions o = new VaeOptions(model, data.forModel(v.sampleSize().get(0)), training.config(true), klWeight, out,
                calibrationImages);
        TrainResult r;
        try (VaeTrainer t = VaeTrainer.prepare(o)) {
            r = t.run();
        }
        Trained.report(w, r, out);
        if (r.completed()) {
            w.printf("scaling_factor: %s%n", AutoencoderKLConfig.read(out.resolve("vae").resolve("config.json"))
                    .scalingFactor());
        }
        return 0;
    }
}
