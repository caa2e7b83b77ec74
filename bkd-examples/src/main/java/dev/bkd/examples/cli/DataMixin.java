package dev.bkd.examples.cli;

import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.loop.DataOptions;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Training data options of bkd's trainers (distill, finetune, train-vae) as a picocli mixin. {@code --resolution}
 * is not here: its default differs ({@code bkd distill}: BK-SDM's 512; the others: the model's, see
 * {@link ModelDataMixin}).
 */
class DataMixin {
    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Captioned images: imagefolder with metadata.jsonl/metadata.csv, or images with .txt captions.")
    Path data;

    @ArgGroup(exclusive = true)
    Crop crop;

    static final class Crop {
        @Option(names = "--center-crop", description = "Crop the centre after resizing.")
        boolean center;

        @Option(names = "--random-crop", description = "Crop at a random place after resizing (the default).")
        boolean random;
    }

    @Option(names = "--random-flip", description = "Flip images horizontally at random.")
    boolean randomFlip;

    @Option(names = "--caption-column", defaultValue = "text", paramLabel = "NAME",
            description = "Caption field of metadata.jsonl/.csv. Default: ${DEFAULT-VALUE}.")
    String captionColumn;

    @Option(names = "--strict-data", description = "Fail on the first bad dataset row instead of skipping it.")
    boolean strictData;

    @Option(names = "--cache-latents", paramLabel = "DIR",
            description = "Encode every image once into this latent cache (built or reused) and train from it.")
    Path cache;

    DatasetOptions dataset() {
        return DatasetOptions.defaults().withCaptionColumn(captionColumn).withStrict(strictData);
    }

    boolean centerCrop() {
        return crop != null && crop.center;
    }

    DataOptions options(int resolution) {
        return new DataOptions(data, dataset(), resolution, centerCrop(), randomFlip, cache);
    }
}
