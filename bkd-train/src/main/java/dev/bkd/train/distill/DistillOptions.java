package dev.bkd.train.distill;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a distillation run needs. The student is pruned from the teacher by {@code variant} (a built-in
 * prune variant or a spec file), or loaded from {@code student} (a UNet or pipeline folder) to continue
 * distilling it; {@code variant} then only names the feature pairs (bkd-pruned students record their own).
 *
 * @param frozenDtype dtype of the teacher, VAE and text encoder; null picks float16 on a GPU, float32 on the CPU
 * @param cacheDir    latent cache folder (built or reused), or null to encode images on every step
 * @param validationSteps denoising steps per validation image
 */
public record DistillOptions(Path teacher, Path student, String variant, String preset, Path pairsFile,
                             List<FeaturePair> pairs, Double lambdaTask, Double lambdaOut, Double lambdaFeat,
                             Path data, DatasetOptions dataOptions, int resolution, boolean centerCrop,
                             boolean randomFlip, Path cacheDir, TrainConfig train, Device device, DataType frozenDtype,
                             Path out, List<String> validationPrompts, int validationSteps) {
    public DistillOptions {
        pairs = List.copyOf(pairs);
        validationPrompts = List.copyOf(validationPrompts);
        if (teacher == null || data == null || out == null) {
            throw new ConfigException("distillation needs a teacher, a data folder and an output folder");
        }
        if (student == null && variant == null) {
            throw new ConfigException("name the student: --variant base|small|tiny|SPEC.json to prune the teacher,"
                    + " or --student DIR to continue an existing student");
        }
        if (validationSteps <= 0) {
            throw new ConfigException("validation steps must be positive");
        }
        dev.bkd.train.loop.DataOptions.checkResolution(resolution);
    }

    /** The effective dtype of the frozen models on {@code device}. */
    public DataType frozenType() {
        return frozenDtype != null ? frozenDtype : device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    public static Builder builder(Path teacher, Path data, Path out) {
        return new Builder(teacher, data, out);
    }

    /** BK-SDM's defaults: preset bk-sdm, 512 px random crop, no flip, CPU, float32 frozen models. */
    public static final class Builder {
        private final Path teacher;
        private final Path data;
        private final Path out;
        private Path student;
        private String variant;
        private String preset = KdPresets.DEFAULT;
        private Path pairsFile;
        private final List<FeaturePair> pairs = new ArrayList<>();
        private Double lambdaTask;
        private Double lambdaOut;
        private Double lambdaFeat;
        private DatasetOptions dataOptions = DatasetOptions.defaults();
        private int resolution = 512;
        private boolean centerCrop;
        private boolean randomFlip;
        private Path cacheDir;
        private TrainConfig train = TrainConfig.builder().build();
        private Device device = Device.cpu();
        private DataType frozenDtype;
        private final List<String> validationPrompts = new ArrayList<>();
        private int validationSteps = 25;

        private Builder(Path teacher, Path data, Path out) {
            this.teacher = teacher;
            this.data = data;
            this.out = out;
        }

        public Builder student(Path v) {
            student = v;
            return this;
        }

        public Builder variant(String v) {
            variant = v;
            return this;
        }

        public Builder preset(String v) {
            preset = v;
            return this;
        }

        public Builder pairsFile(Path v) {
            pairsFile = v;
            return this;
        }

        public Builder pair(FeaturePair p) {
            pairs.add(p);
            return this;
        }

        public Builder lambdas(Double task, Double out, Double feat) {
            lambdaTask = task;
            lambdaOut = out;
            lambdaFeat = feat;
            return this;
        }

        public Builder dataOptions(DatasetOptions v) {
            dataOptions = v;
            return this;
        }

        public Builder resolution(int v) {
            resolution = v;
            return this;
        }

        public Builder centerCrop(boolean v) {
            centerCrop = v;
            return this;
        }

        public Builder randomFlip(boolean v) {
            randomFlip = v;
            return this;
        }

        public Builder cacheDir(Path v) {
            cacheDir = v;
            return this;
        }

        public Builder train(TrainConfig v) {
            train = v;
            return this;
        }

        public Builder device(Device v) {
            device = v;
            return this;
        }

        public Builder frozenDtype(DataType v) {
            frozenDtype = v;
            return this;
        }

        public Builder validationPrompt(String p) {
            validationPrompts.add(p);
            return this;
        }

        public Builder validationSteps(int v) {
            validationSteps = v;
            return this;
        }

        public DistillOptions build() {
            return new DistillOptions(teacher, student, variant, preset, pairsFile, pairs, lambdaTask, lambdaOut,
                    lambdaFeat, data, dataOptions, resolution, centerCrop, randomFlip, cacheDir, train, device,
                    frozenDtype, out, validationPrompts, validationSteps);
        }
    }
}
