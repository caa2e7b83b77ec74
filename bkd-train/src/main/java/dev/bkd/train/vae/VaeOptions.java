package dev.bkd.train.vae;

import dev.bkd.core.config.ConfigException;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;

/**
 * A VAE training run: the pipeline folder whose {@code vae/} trains, the images (no cache: the VAE is what would
 * fill it), the loop's knobs, the KL weight, the output folder, and how many images calibrate the scaling factor.
 */
public record VaeOptions(Path model, DataOptions data, TrainConfig train, double klWeight, Path out,
                         int calibrationImages) {
    public VaeOptions {
        if (model == null || out == null) {
            throw new ConfigException("VAE training needs a model folder and an output folder");
        }
        if (data.cacheDir() != null) {
            throw new ConfigException("VAE training reads the images themselves; --cache does not apply");
        }
        if (calibrationImages <= 0) {
            throw new ConfigException("calibration images must be positive, got " + calibrationImages);
        }
    }
}
