package dev.bkd.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.LoadReport;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.WeightFiles;
import dev.bkd.core.weights.Weights;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd inspect}: what is in a safetensors file, a component folder or a pipeline folder. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show tensors (name, dtype, shape), parameter counts and a config summary of a",
                "safetensors file, a model component folder (unet/, vae/, ...) or a pipeline folder.",
                "For a UNet also a per-block table (resnets, attentions, channels, parameters, MACs at",
                "the config's sample size) and, for a student bkd pruned, the teacher blocks removed."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH")
    Path path;

    @Option(names = "--tensors", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "List every tensor (default: on for files and components, off for pipelines).")
    boolean tensors;

    @Mixin
    VerboseMixin verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.exists(path)) {
            throw new ConfigException(path + ": no such file or folder");
        }
        if (Files.isRegularFile(path)) {
            weights(out, path, true);
        } else if (Files.isRegularFile(path.resolve("model_index.json"))) {
            pipeline(out, path);
        } else {
            component(out, path, tensors);
        }
        out.flush();
        return 0;
    }

    private void pipeline(PrintWriter out, Path dir) {
        ConfigReader index = ConfigReader.read(dir.resolve("model_index.json"));
        out.println(dir + ": " + index.getString("_class_name", "pipeline"));
        long total = 0;
        Iterator<Map.Entry<String, JsonNode>> it = index.extras().fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("_") || !e.getValue().isArray() || e.getValue().get(1) == null
                    || e.getValue().get(1).isNull()) {
                continue;
            }
            out.println();
            out.println("[" + e.getKey() + "] " + e.getValue().get(0).asText() + "." + e.getValue().get(1).asText());
            total += component(out, dir.resolve(e.getKey()), false);
        }
        out.println();
        out.printf("total parameters: %,d%n", total);
    }

    /** Prints a component folder; returns its parameter count (0 when it has no weights). */
    private long component(PrintWriter out, Path dir, boolean listTensors) {
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            ConfigReader c = ConfigReader.read(config);
            out.println("  config: " + summary(c));
            if (UNet2DConditionConfig.CLASS_NAME.equals(c.getString("_class_name", null))) {
                UNetTable.print(out, UNet2DConditionConfig.read(config));
                checkAgainstConfig(out, dir, new UNet2DConditionModel(UNet2DConditionConfig.read(config)));
            }
        } else if (Files.isRegularFile(dir.resolve("scheduler_config.json"))) {
            out.println("  config: " + summary(ConfigReader.read(dir.resolve("scheduler_config.json"))));
            return 0;
        }
        if (Files.isRegularFile(dir.resolve("vocab.json")) || Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            out.println("  tokenizer files: " + String.join(", ", list(dir)));
            return 0;
        }
        return weights(out, dir, listTensors);
    }

    /** Flags weights whose keys or shapes disagree with config.json (loading would fail, or half the model random). */
    private static void checkAgainstConfig(PrintWriter out, Path dir, dev.bkd.core.nn.Module skeleton) {
        Path file;
        try {
            file = WeightFiles.resolve(dir, null);
        } catch (BkdException e) {
            return; // reported where the weights are listed
        }
        try (StateDict sd = StateDicts.open(file)) {
            LoadReport r = Weights.compare(skeleton, sd, Weights.LoadOptions.strictFp32());
            if (!r.clean()) {
                out.println("  WARNING: " + dir.relativize(file) + " disagrees with config.json (loading it fails):");
                out.println(r.describe().replaceAll("(?m)^", "  "));
            }
        }
    }

    private long weights(PrintWriter out, Path fileOrDir, boolean listTensors) {
        try (StateDict sd = StateDicts.open(fileOrDir)) {
            long params = 0;
            long buffers = 0;
            Map<String, Long> byDtype = new java.util.TreeMap<>();
            for (String k : sd.keys()) {
                StateDict.TensorSpec s = sd.spec(k);
                long n = s.shape().size();
                // integer tensors are buffers (e.g. position_ids), not parameters
                if (s.dtype().startsWith("F") || s.dtype().startsWith("BF")) {
                    params += n;
                } else {
                    buffers += n;
                }
                byDtype.merge(s.dtype(), n, Long::sum);
                if (listTensors) {
                    out.printf("  %-70s %-5s %s%n", k, s.dtype(), s.shape());
                }
            }
            out.printf("  %d tensors, %,d parameters%s %s%n", sd.keys().size(), params,
                    buffers > 0 ? String.format(" (+%,d buffer values)", buffers) : "", byDtype);
            return params;
        }
    }

    private static String summary(ConfigReader c) {
        JsonNode arch = c.raw("architectures");
        String cls = arch != null && arch.isArray() && arch.size() > 0 ? arch.get(0).asText() : "?";
        StringBuilder sb = new StringBuilder(c.getString("_class_name", cls));
        for (String f : new String[] {"block_out_channels", "down_block_types", "mid_block_type", "up_block_types",
                "layers_per_block", "attention_head_dim", "cross_attention_dim", "use_linear_projection",
                "sample_size", "in_channels", "out_channels", "latent_channels", "scaling_factor",
                "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "hidden_act",
                "num_train_timesteps", "beta_schedule", "prediction_type", "timestep_spacing"}) {
            JsonNode v = c.raw(f);
            if (v != null) {
                sb.append(", ").append(f).append('=').append(v.isTextual() ? v.asText() : v.toString());
            }
        }
        return sb.toString();
    }

    private static java.util.List<String> list(Path dir) {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(dir.toString(), e);
        }
    }
}
