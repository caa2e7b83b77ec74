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

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Folder to convert.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--dtype", required = true, description = "float16 or float32.")
    Dtype dtype;

    @Option(names = "--only", paramLabel = "NAME", split = ",",
            description = "Copy only these top-level entries (e.g. model_index.json,unet,vae,...); default: all.")
    List<String> only;

    @Option(names = "--force", description = "Replace a non-empty --out.")
    boolean force;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
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
