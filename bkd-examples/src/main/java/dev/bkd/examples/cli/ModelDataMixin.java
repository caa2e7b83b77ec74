package dev.bkd.examples.cli;

import dev.bkd.train.loop.DataOptions;
import picocli.CommandLine.Option;

/** {@link DataMixin} plus {@code --resolution} defaulting to the size the model generates (finetune, train-vae). */
final class ModelDataMixin extends DataMixin {
    @Option(names = "--resolution", paramLabel = "PX", description = "Training image size. Default: the model's.")
    Integer resolution;

    /** The data options; {@code modelResolution} unless --resolution is given. */
    DataOptions forModel(int modelResolution) {
        return options(resolution != null ? resolution : modelResolution);
    }
}
