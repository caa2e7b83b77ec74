package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.distill.FeaturePair;
import dev.bkd.train.distill.KdPresets;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.loop.TrainingLoop;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code bkd distill}: BK-SDM knowledge distillation of a block-removed student from a teacher pipeline. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = DistillCommand.Defaults.class,
        description = "Train a block-removed student UNet against a frozen teacher with BK-SDM's loss: task MSE +"
            + " output KD + per-block feature KD. Writes a diffusers pipeline folder (student unet/, the teacher's"
            + " other components), checkpoints, metrics.jsonl and loss.png into --out. Ctrl-C writes a checkpoint"
            + " and stops; continue with --resume latest.")
final class DistillCommand implements Callable<Integer> {
    /** Where distillation's defaults differ from {@link TrainingMixin}'s: BK-SDM's learning rate. */
    static final class Defaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            return arg.isOption() && ((OptionSpec) arg).longestName().equals("--lr") ? "5e-5" : null;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--teacher", required = true, paramLabel = "DIR|FILE",
            description = "Teacher pipeline folder or single-file checkpoint (.safetensors/.ckpt).")
    Path teacher;

    @Option(names = "--variant", paramLabel = "VARIANT",
            description = "Student to prune from the teacher: base, small, tiny, sd_small, sd_tiny or a spec .json."
                    + " With --student it only names the feature pairs.")
    String variant;

    @Option(names = "--student", paramLabel = "DIR",
            description = "Start from an existing student (UNet or pipeline folder) instead of pruning the teacher.")
    Path student;

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

    @Mixin
    DataMixin data;

    @Option(names = "--resolution", defaultValue = "512", paramLabel = "PX",
            description = "Training image size. Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Mixin
    TrainingMixin training;

    @Mixin
    ValidationMixin validation;

    @Mixin
    DevicesMixin devices;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV", description = "cpu, gpu or gpu:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--frozen-dtype", paramLabel = "TYPE",
            description = "dtype of the teacher, VAE and text encoder: float16 (default on a GPU) or float32 (CPU).")
    String frozenDtype;

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @picocli.CommandLine.Mixin
    EvalMixin evaluation;

    @Override
    public Integer call() {
        teacher = checkpoint.folder(teacher, spec.commandLine().getErr());
        DistillOptions options = options();
        TrainResult r;
        try (Distiller d = Distiller.prepare(options);
             ai.djl.ndarray.NDManager evalManager = ai.djl.ndarray.NDManager.newBaseManager();
             var ev = evaluation.attach(d.loop(), teacher, d.objective().student(), options.train().seed(),
                     options.device(), evalManager, data.dataset(), options.resolution())) {
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
            if (training.validateEvery > 0 && !validation.any()) {
                throw new ConfigException("--validate-every needs at least one --validation-prompt");
            }
            TrainConfig t = devices.apply(training.config());
            Device single = DevicesMixin.parse(device, "--device");
            if (devices.devices != null && spec.commandLine().getParseResult().hasMatchedOption("--device")
                    && !single.equals(devices.primary(single))) {
                throw new ConfigException("--device " + device + " and --devices " + String.join(",", devices.devices)
                        + " disagree; the run's device is the first of --devices");
            }
            DistillOptions.Builder b = DistillOptions.builder(teacher, data.data, out).student(student).variant(variant)
                    .preset(preset).pairsFile(pairsFile).lambdas(lambdaTask, lambdaOut, lambdaFeat)
                    .dataOptions(data.dataset()).resolution(resolution).centerCrop(data.centerCrop())
                    .randomFlip(data.randomFlip).cacheDir(data.cache).train(t)
                    .device(devices.primary(single)).validationSteps(validation.steps)
                    // --mixed-precision fp16 runs the frozen models in float16 unless --frozen-dtype says otherwise
                    .frozenDtype(frozenDtype == null && "fp16".equals(training.mixedPrecision) ? DataType.FLOAT16
                            : dtype(frozenDtype));
            pairs.forEach(p -> b.pair(FeaturePair.parse(p)));
            validation.prompts.forEach(b::validationPrompt);
            return b.build();
        } catch (BkdException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
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
