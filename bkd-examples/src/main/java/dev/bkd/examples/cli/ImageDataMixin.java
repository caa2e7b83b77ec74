package dev.bkd.examples.cli;

import dev.bkd.train.data.DatasetOptions;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Which captioned images to read and how to crop them: shared by the trainers and {@code bkd cache build}. */
class ImageDataMixin {
    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Captioned images: imagefolder with metadata.jsonl/metadata.csv, images with .txt captions,"
                + " or webdataset .tar shards (data/{00000..00123}.tar, a folder of .tar, a .tar, or a list file).")
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
            description = "Caption field of metadata.jsonl/.csv, or of a webdataset sample's .json (else its .txt)."
                + " Default: ${DEFAULT-VALUE}.")
    String captionColumn;

    @Option(names = "--strict-data", description = "Fail on the first bad dataset row instead of skipping it.")
    boolean strictData;

    DatasetOptions dataset() {
        return DatasetOptions.defaults().withCaptionColumn(captionColumn).withStrict(strictData);
    }

    boolean centerCrop() {
        return crop != null && crop.center;
    }
}
