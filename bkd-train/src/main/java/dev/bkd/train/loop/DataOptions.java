package dev.bkd.train.loop;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.limits.SizeLimits;
import dev.bkd.train.data.DatasetOptions;
import java.nio.file.Path;

/**
 * Where a run's training pictures come from and how they are prepared: a captioned image folder, resized and
 * cropped to {@code resolution} (centre or random crop, optional flip), and optionally a latent cache folder
 * (built on first use, reused after) so the frozen VAE and text encoder run once per image instead of every step.
 */
public record DataOptions(Path data, DatasetOptions dataset, int resolution, boolean centerCrop, boolean randomFlip,
                          Path cacheDir) {
    public DataOptions {
        if (data == null) {
            throw new ConfigException("a training run needs a data folder");
        }
        checkResolution(resolution);
        dataset = dataset == null ? DatasetOptions.defaults() : dataset;
    }

    /**
     * A training resolution is a positive multiple of 8 (the VAE's factor, as generate requires), at most
     * {@link SizeLimits#MAX_SIDE}, and its attention fits this machine's memory (else the kernel kills the run).
     */
    public static void checkResolution(int resolution) {
        SizeLimits.checkSide("--resolution", resolution);
        SizeLimits.requireMemory(SizeLimits.attentionBytes(resolution / 8, resolution / 8, 1),
                "training at --resolution " + resolution);
    }
}
