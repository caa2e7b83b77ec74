package dev.bkd.examples.cli;

import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.loop.DataOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Training data options shared by the trainers, as picocli mixin. */
final class DataMixin {
    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Captioned images: imagefolder with metadata.jsonl/metadata.csv, or images with .txt captions.")
    Path data;

    @Option(names = "--caption-column", defaultValue = "text", description = "Caption field of the metadata (default ${DEFAULT-VALUE}).")
    String captionColumn;

    @Option(names = "--resolution", paramLabel = "PX", description = "Training image size (default: the model's).")
    Integer resolution;

    @Option(names = "--center-crop", description = "Centre crop instead of a random crop.")
    boolean centerCrop;

    @Option(names = "--random-flip", description = "Flip images horizontally at random.")
    boolean randomFlip;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Latent cache folder: VAE latents and text embeddings computed once (built or reused).")
    Path cache;

    DataOptions options(int defaultResolution) {
        return new DataOptions(data, DatasetOptions.defaults().withCaptionColumn(captionColumn),
                resolution != null ? resolution : defaultResolution, centerCrop, randomFlip, cache);
    }
}
