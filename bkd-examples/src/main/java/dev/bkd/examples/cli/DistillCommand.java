package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.distill.FeaturePair;
import dev.bkd.train.distill.KdPresets;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import dev.bkd.train.optim.AdamW;
import dev.bkd.train.optim.Ema;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd distill}: BK-SDM knowledge distillation of a block-removed student from a teacher pipeline. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a block-removed student UNet against a frozen teacher with BK-SDM's loss: task MSE +"
            + " output KD + per-block feature KD. Writes a diffusers pipeline folder (student unet/, the teacher's"
            + " other components), checkpoints, metrics.jsonl and loss.png into --out. Ctrl-C writes a checkpoint"
            + " and stops; continue with --resume latest.")
final class DistillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--teacher", required = true, paramLabel = "DIR", description = "Teacher pipeline folder.")
    Path teacher;

    @Option(names = "--variant", paramLabel = "VARIANT",
            description = "Student to prune from the teacher: base, small, tiny, sd_small, sd_tiny or a spec .json."
                    + " With --student it only names the feature pairs.")
    String variant;

    @Option(names = "--student", paramLabel = "DIR",
            description = "Start from an existing student (UNet or pipeline folder) instead of pruning the teacher.")
    Path student;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Images with metadata.jsonl / metadata.csv (file_name + caption) or .txt captions.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--preset", defaultValue = KdPresets.DEFAULT, paramLabel = "NAME",
            description = "Feature pairs and loss weights: bk-sdm (λ 1/1/1) or segmind (λ 1/0.5/0.5). Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--lambda-task", paramLabel = "X", description = "Weight of MSE(student, target).")
    Double lambdaTask;

    @Option(names = "--lambda-out", paramLabel = "X", description = "Weight of MSE(student, teacher) on the prediction.")
    Double lambdaOut;

    @Option(names = "--lambda-feat", paramLabel = "X", description = "Weight of the summed per-block feature MSEs.")
    Double lambdaFeat;

    @Option(names = "--pairs", paramLabel = "FILE.json",
            description = "Feature pairs and/or λs: {\"pairs\": [[\"teacher path\", \"student path\"], ...],"
                    + " \"lambda\": {\"task\": 1, \"out\": 1, \"feat\": 1}}.")
    Path pairsFile;

    @Option(names = "--pair", paramLabel = "TEACHER=STUDENT",
            description = "A feature pair by module path (repeatable; replaces the preset's pairs).")
    List<String> pairs = new ArrayList<>();

    @Option(names = "--steps", defaultValue = "1000", paramLabel = "N", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long steps;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Images per micro-batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "K", description = "Micro-batches per step. Default: ${DEFAULT-VALUE}.")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "5e-5", paramLabel = "X", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--lr-scheduler", defaultValue = "constant", paramLabel = "NAME",
            description = "constant, constant_with_warmup, cosine or linear. Default: ${DEFAULT-VALUE}.")
    String lrScheduler;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "N", description = "Warmup steps. Default: ${DEFAULT-VALUE}.")
    long warmup;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "X",
            description = "Global-norm gradient clipping (0: off). Default: ${DEFAULT-VALUE}.")
    double maxGradNorm;

    @Option(names = "--adam-beta1", defaultValue = "0.9", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double beta1;

    @Option(names = "--adam-beta2", defaultValue = "0.999", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double beta2;

    @Option(names = "--adam-weight-decay", defaultValue = "1e-2", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--adam-epsilon", defaultValue = "1e-8", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double adamEps;

    @Option(names = "--resolution", defaultValue = "512", paramLabel = "PX", description = "Training image size. Default: ${DEFAULT-VALUE}.")
    int resolution;

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

    @Option(names = "--ema", description = "Keep an EMA of the student; the output gets the EMA weights.")
    boolean ema;

    @Option(names = "--ema-decay", defaultValue = "0.9999", paramLabel = "X", description = "Default: ${DEFAULT-VALUE}.")
    double emaDecay;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
            description = "Seed of data order, augmentation, noise and timesteps. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--cache-latents", paramLabel = "DIR",
            description = "Encode every image once into this latent cache (built or reused) and train from it.")
    Path cacheDir;

    @Option(names = "--checkpoint-every", defaultValue = "500", paramLabel = "N",
            description = "Steps between checkpoints (0: only at the end). Default: ${DEFAULT-VALUE}.")
    long checkpointEvery;

    @Option(names = "--keep", defaultValue = "3", paramLabel = "K", description = "Checkpoints kept (0: all). Default: ${DEFAULT-VALUE}.")
    int keep;

    @Option(names = "--resume", paramLabel = "DIR|latest", description = "Continue from a checkpoint of --out.")
    String resume;

    @Option(names = "--validation-prompt", paramLabel = "TEXT",
            description = "Prompt for validation samples (repeatable).")
    List<String> validationPrompts = new ArrayList<>();

    @Option(names = "--validate-every", defaultValue = "0", paramLabel = "N",
            description = "Steps between validation samples (0: only at the end when prompts are given).")
    long validateEvery;

    @Option(names = "--validation-steps", defaultValue = "25", paramLabel = "N", description = "Denoising steps per sample. Default: ${DEFAULT-VALUE}.")
    int validationSteps;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV", description = "cpu, gpu or gpu:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--frozen-dtype", paramLabel = "TYPE",
            description = "dtype of the teacher, VAE and text encoder: float16 (default on a GPU) or float32 (CPU).")
    String frozenDtype;

    @Option(names = "--log-every", defaultValue = "10", paramLabel = "N",
            description = "Steps between progress lines when not on a terminal. Default: ${DEFAULT-VALUE}.")
    int logEvery;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        DistillOptions options = options();
        TrainResult r;
        try (Distiller d = Distiller.prepare(options)) {
            r = d.run();
        }
        PrintWriter w = spec.commandLine().getOut();
        if (!r.completed()) {
            w.printf("%s at step %d: wrote %s; continue with --resume latest%n", r.stoppedBy(), r.step(),
                    r.lastCheckpoint());
            w.flush();
            return r.stoppedBy().equals("SIGTERM") ? 143 : 130;
        }
        w.printf("wrote the student pipeline to %s after %d steps (metrics %s, loss plot %s, last checkpoint %s)%n",
                out, r.step(), out.resolve(TrainingLoop.METRICS), out.resolve(TrainingLoop.PLOT), r.lastCheckpoint());
        w.flush();
        return 0;
    }

    /** Every value checked here is a bad argument (exit 2); problems with files come later (exit 1). */
    private DistillOptions options() {
        try {
            if (student == null && variant == null) {
                throw new ConfigException("give --variant (to prune the teacher) or --student DIR");
            }
            if (!KdPresets.names().contains(preset.toLowerCase(Locale.ROOT))) {
                throw new ConfigException("--preset " + preset + " is not known; use one of " + KdPresets.names());
            }
            if (variant != null && student == null) {
                PruneSpec.resolve(variant);
            }
            if (validateEvery > 0 && validationPrompts.isEmpty()) {
                throw new ConfigException("--validate-every needs at least one --validation-prompt");
            }
            TrainConfig t = TrainConfig.builder().steps(steps).batchSize(batch).gradAccum(gradAccum).lr(lr)
                    .lrScheduler(lrScheduler).warmup(warmup).maxGradNorm(maxGradNorm)
                    .adam(new AdamW.Config(beta1, beta2, adamEps, weightDecay))
                    .ema(ema ? Ema.Config.defaults().withDecay(emaDecay) : null).seed(seed)
                    .checkpointEvery(checkpointEvery).keepLast(keep).resume(resume).validateEvery(validateEvery)
                    .logEvery(logEvery).build();
            DistillOptions.Builder b = DistillOptions.builder(teacher, data, out).student(student).variant(variant)
                    .preset(preset).pairsFile(pairsFile).lambdas(lambdaTask, lambdaOut, lambdaFeat)
                    .dataOptions(new DatasetOptions(captionColumn, strictData)).resolution(resolution)
                    .centerCrop(crop != null && crop.center).randomFlip(randomFlip).cacheDir(cacheDir).train(t)
                    .device(device(device)).frozenDtype(dtype(frozenDtype)).validationSteps(validationSteps);
            pairs.forEach(p -> b.pair(FeaturePair.parse(p)));
            validationPrompts.forEach(b::validationPrompt);
            return b.build();
        } catch (BkdException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private static Device device(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        Device d;
        if (n.equals("cpu")) {
            return Device.cpu();
        } else if (n.equals("gpu") || n.equals("cuda")) {
            d = Device.gpu();
        } else if (n.matches("(gpu|cuda):\\d+")) {
            d = Device.gpu(Integer.parseInt(n.substring(n.indexOf(':') + 1)));
        } else {
            throw new ConfigException("--device " + name + " is not cpu, gpu or gpu:N");
        }
        if (Engine.getInstance().getGpuCount() <= d.getDeviceId()) {
            throw new ConfigException("--device " + name + ": libtorch sees " + Engine.getInstance().getGpuCount()
                    + " GPU(s) (the CUDA build is mvn -Pcuda)");
        }
        return d;
    }

    private static DataType dtype(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            case "float32", "fp32", "float" -> DataType.FLOAT32;
            default -> throw new ConfigException("--frozen-dtype " + name + " is not float16 or float32");
        };
    }
}
