package dev.bkd.examples.cli;

import dev.bkd.models.init.PipelineSpec;
import dev.bkd.models.init.RandomPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd init}: a randomly initialised pipeline to train from scratch. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Write a randomly initialised text-to-image pipeline in the diffusers layout (tokenizer,"
            + " text_encoder, unet, vae, scheduler, model_index.json) from a preset or a spec file. Weights are drawn"
            + " from --seed with PyTorch's default layer init (transformers' for the text encoder), so the same seed"
            + " gives the same files.")
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--preset", defaultValue = "demo", paramLabel = "NAME|FILE",
            description = "Built-in preset (demo) or a spec .json file with one section per component (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output pipeline folder.")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Replace a non-empty --out.")
    boolean force;

    @Mixin
    VerboseMixin verbose;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        PipelineSpec s = PipelineSpec.resolve(preset);
        RandomPipeline.Result r = RandomPipeline.create(s, seed, out, force);
        if (!s.description().isEmpty()) {
            w.printf("preset:       %s - %s%n", preset, s.description());
        }
        w.printf("unet:         %,d parameters%n", r.unetParameters());
        w.printf("text encoder: %,d parameters, %d-token vocabulary, %d positions%n", r.textEncoderParameters(),
                s.textEncoder().vocabSize(), s.maxLength());
        w.printf("vae:          %,d parameters, %d latent channels, factor %d%n", r.vaeParameters(),
                s.vae().latentChannels(), s.vae().downscaleFactor());
        w.printf("wrote:        %s (seed %d)%n", r.out(), seed);
        w.flush();
        return 0;
    }
}
