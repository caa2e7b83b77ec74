package dev.bkd.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd convert}: a pipeline folder with its weights stored in another float dtype. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Copy a pipeline (or component) folder with every floating-point tensor of its .safetensors"
            + " files cast to --dtype (like pipe.to(torch.float16).save_pretrained). Integer tensors, configs and"
            + " tokenizer files are copied as they are. Loaders cast back to the dtype they run in.")
final class ConvertCommand implements Callable<Integer> {
    enum Dtype { float16, float32 }

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR|FILE", description = "Folder (or single-file checkpoint) to convert.")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--dtype", description = "float16 or float32 (default for --from-single-file: float32).")
    Dtype dtype;

    @Option(names = "--from-single-file", paramLabel = "FILE",
            description = "Write this single-file checkpoint (original LDM/A1111 layout, .safetensors or .ckpt) as a"
                + " diffusers folder to --out.")
    Path fromSingleFile;

    @Option(names = "--to-single-file", paramLabel = "FILE",
            description = "Write --model as one original-layout .safetensors (A1111/ComfyUI); standard SD1.x/SD2.x"
                + " block layout only.")
    Path toSingleFile;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Option(names = "--only", paramLabel = "NAME", split = ",",
            description = "Copy only these top-level entries (e.g. model_index.json,unet,vae,...); default: all.")
    List<String> only;

    @Option(names = "--force", description = "Replace a non-empty --out.")
    boolean force;

    @Mixin
    VerboseMixin verbose;

    @Override
    public Integer call() throws IOException {
        if (fromSingleFile != null) {
            return fromSingleFile();
        }
        if (model == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "give --model DIR (with --out and --dtype, or --to-single-file FILE) or --from-single-file FILE");
        }
        if (toSingleFile != null) {
            return toSingleFile();
        }
        if (out == null || dtype == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--model needs --out and --dtype");
        }
        model = checkpoint.folder(model, spec.commandLine().getErr());
        if (!Files.isDirectory(model)) {
            throw new BkdException(model + ": not a folder");
        }
        AtomicFolder.requireApart(out, model, "--model");
        DataType to = dtype == Dtype.float16 ? DataType.FLOAT16 : DataType.FLOAT32;
        long tensors = 0;
        try (AtomicFolder f = AtomicFolder.begin(out, force); NDManager m = NDManager.newBaseManager();
                Stream<Path> walk = Files.walk(model)) {
            for (Path src : walk.sorted().toList()) {
                Path rel = model.relativize(src);
                if (rel.toString().isEmpty() || (only != null && !only.contains(rel.getName(0).toString()))) {
                    continue;
                }
                Path dst = f.dir().resolve(rel.toString());
                if (Files.isDirectory(src)) {
                    Files.createDirectories(dst);
                } else if (src.getFileName().toString().endsWith(".safetensors")) {
                    tensors += cast(src, dst, to, m);
                } else {
                    Files.copy(src, dst);
                }
            }
            f.commit();
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s (%d float tensors as %s)%n", out.toAbsolutePath().normalize(), tensors, dtype);
        w.flush();
        return 0;
    }

    private int fromSingleFile() {
        if (out == null || model != null || toSingleFile != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--from-single-file FILE needs --out DIR (and no --model or --to-single-file)");
        }
        AtomicFolder.requireApart(out, fromSingleFile, "--from-single-file");
        dev.bkd.models.pipeline.PipelineOptions options = checkpoint.apply(dev.bkd.models.pipeline.PipelineOptions
                .defaults().withDtype(dtype == Dtype.float16 ? DataType.FLOAT16 : DataType.FLOAT32));
        dev.bkd.models.pipeline.SingleFileImport.Report report;
        try (AtomicFolder f = AtomicFolder.begin(out, force)) {
            report = dev.bkd.models.pipeline.SingleFileImport.convert(fromSingleFile, options,
                    dev.bkd.models.pipeline.HubCache.fromEnvironment(), f.dir());
            f.commit();
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println(report.describe());
        w.printf("wrote %s%n", out.toAbsolutePath().normalize());
        w.flush();
        return 0;
    }

    private int toSingleFile() {
        if (out != null || dtype != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--to-single-file writes the model's own dtype and takes no --out/--dtype");
        }
        dev.bkd.models.pipeline.PipelineOptions options = checkpoint.apply(dev.bkd.models.pipeline.PipelineOptions
                .defaults());
        try (dev.bkd.models.pipeline.DiffusionPipeline p = dev.bkd.models.pipeline.DiffusionPipeline.fromPretrained(
                model.toString(), options)) {
            dev.bkd.models.pipeline.SingleFileExport.write(p, toSingleFile);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s (original LDM layout: model.diffusion_model.*, first_stage_model.*, cond_stage_model.*)%n",
                toSingleFile.toAbsolutePath().normalize());
        w.flush();
        return 0;
    }

    private static long cast(Path src, Path dst, DataType to, NDManager parent) {
        long n = 0;
        try (NDManager m = parent.newSubManager(); StateDict sd = StateDicts.open(src)) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (String k : sd.keys()) {
                NDArray a = sd.load(k, m);
                if (a.getDataType().isFloating() && a.getDataType() != to) {
                    a = a.toType(to, false);
                    n++;
                }
                out.put(k, a);
            }
            SafetensorsWriter.write(dst, out);
        }
        return n;
    }
}
