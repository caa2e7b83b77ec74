package dev.bkd.examples.cli;

import dev.bkd.train.loop.DataOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Training data options of bkd's trainers (distill, finetune, train-vae) as a picocli mixin: the image options of
 * {@link ImageDataMixin} plus {@code --cache-latents}. {@code --resolution} is not here: its default differs
 * ({@code bkd distill}: BK-SDM's 512; the others: the model's, see {@link ModelDataMixin}).
 */
class DataMixin extends ImageDataMixin {
    @Option(names = "--cache-latents", paramLabel = "DIR",
            description = "Encode every image once into this latent cache (built or reused) and train from it.")
    Path cache;

    DataOptions options(int resolution) {
        return new DataOptions(data, dataset(), resolution, centerCrop(), randomFlip, cache);
    }
}
