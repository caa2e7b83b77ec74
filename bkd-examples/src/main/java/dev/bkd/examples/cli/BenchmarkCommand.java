package dev.bkd.examples.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ai.djl.pytorch.jni.JniUtils;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.examples.bench.DistillBenchmark;
import dev.bkd.examples.bench.OpsBenchmark;
import dev.bkd.examples.bench.SafetensorsLoadBenchmark;
import dev.bkd.examples.bench.UNetBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd benchmark}: teacher vs pruned students on this machine, or one of bkd's micro-benchmarks. */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Time the teacher UNet and BK students pruned from it on the fly: forward latency (no"
            + " gradients; one warm-up, median of --steps), one KD training step (teacher forward without gradients +"
            + " student forward/backward of MSE(student output, teacher output) + an AdamW update of every student"
            + " parameter), peak RSS while the variant ran (includes the teacher's weights), parameters, MACs and the"
            + " speed-up against the teacher. Without --model the teacher has random weights from --preset. With"
            + " --suite, runs one of bkd's micro-benchmarks instead (its own arguments follow).")
final class BenchmarkCommand implements Callable<Integer> {
    /** A micro-benchmark's main. */
    interface Suite {
        void main(String[] args) throws Exception;
    }

    /** Micro-benchmark mains (dev.bkd.examples.bench) by suite name. */
    static final Map<String, Suite> SUITES = Map.of(
            "ops", OpsBenchmark::main,
            "unet", UNetBenchmark::main,
            "safetensors-load", SafetensorsLoadBenchmark::main,
            "single-file-load", dev.bkd.examples.bench.SingleFileLoadBenchmark::main,
            "distill", DistillBenchmark::main);

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Teacher pipeline or unet folder (default: random weights).")
    Path model;

    @Option(names = "--preset", defaultValue = "sd15", paramLabel = "NAME",
            description = "Config for random weights without --model: sd15 or sd21 (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--variants", split = ",", defaultValue = "teacher,base,small,tiny", paramLabel = "LIST",
            description = "Comma-separated: teacher, base, small, tiny, sd_small, sd_tiny or spec files"
                + " (default: ${DEFAULT-VALUE}).")
    List<String> variants;

    @Option(names = "--size", defaultValue = "512", paramLabel = "PX", description = "Image size (latent = size/8; default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--steps", defaultValue = "3", paramLabel = "N", description = "Timed runs after one warm-up (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "B", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--no-train", description = "Skip the KD training step.")
    boolean noTrain;

    @Option(names = "--no-optimizer", description = "KD step without the AdamW update (saves 2 x student size of memory).")
    boolean noOptimizer;

    @Option(names = "--gradient-checkpointing", description = "KD step: the student's forward with gradient"
            + " checkpointing (each block recomputed in the backward; less memory, about one more forward of time).")
    boolean gradientCheckpointing;

    @Option(names = "--mixed-precision", defaultValue = "no", paramLabel = "no|fp16", description = "KD step: fp16"
            + " runs it as distill --mixed-precision fp16 trains (float16 teacher, student under float16 autocast with"
            + " float32 weights, loss scaling); forward timings stay float32. On a CPU float16 is very slow."
            + " Default: ${DEFAULT-VALUE}.")
    String mixedPrecision;

    @Option(names = "--threads", paramLabel = "N", description = "libtorch intra-op threads (default: the engine's,"
            + " one per core). On a busy machine 1 can be far faster for small models.")
    Integer threads;

    @Option(names = "--isolate", description = "Run each variant in its own JVM (same options): a clean peak RSS per"
            + " variant, and memory is returned to the machine between variants.")
    boolean isolate;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--suite", paramLabel = "NAME", description = "Run a micro-benchmark instead: ops, unet, safetensors-load, distill.")
    String suite;

    @Option(names = "--ops", description = "Same as --suite ops (fused vs pure GroupNorm / attention).")
    boolean ops;

    @Parameters(paramLabel = "ARGS", arity = "0..*", description = "Arguments passed to the --suite main.")
    List<String> suiteArgs = new ArrayList<>();

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() throws Exception {
        if (model != null) {
            model = checkpoint.folder(model, spec.commandLine().getErr());
        }
        if (ops || suite != null) {
            return runSuite(ops ? "ops" : suite);
        }
        if (!suiteArgs.isEmpty()) {
            throw new BkdException("benchmark: unexpected arguments " + suiteArgs + " (only --suite takes arguments)");
        }
        if (steps < 1 || batch < 1) {
            throw new BkdException("benchmark: --steps and --batch must be at least 1");
        }
        if (!mixedPrecision.equals("no") && !mixedPrecision.equals("fp16")) {
            throw new BkdException("benchmark: --mixed-precision must be `no` or `fp16`, got `" + mixedPrecision + "`");
        }
        PrintWriter out = spec.commandLine().getOut();
        ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch, which JniUtils needs (even with --isolate)
        if (threads != null) {
            if (threads < 1) {
                throw new BkdException("benchmark: --threads must be at least 1");
            }
            JniUtils.setNumThreads(threads);
        }
        double[] loadBefore = loadAverage();
        String source = model != null ? model.toString() : preset + " preset, random weights";
        List<VariantBenchmark.Result> results = isolate ? isolated(out) : inProcess(out);
        double[] loadAfter = loadAverage();
        printTable(out, results, source, loadBefore, loadAfter);
        if (json != null) {
            writeJson(results, source, loadBefore, loadAfter);
            out.println("wrote " + json);
        }
        out.flush();
        return 0;
    }

    private List<VariantBenchmark.Result> inProcess(PrintWriter out) {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel teacher;
            if (model != null) {
                Path unet = Files.isRegularFile(model.resolve("model_index.json")) ? model.resolve("unet") : model;
                teacher = UNet2DConditionModel.fromPretrained(unet, m, UNet2DConditionModel.Options.defaults());
            } else {
                teacher = new UNet2DConditionModel(UNet2DConditionConfig.preset(preset));
                teacher.initializeRandom(m, DataType.FLOAT32);
            }
            int f = 8 << teacher.config().numUpsamplers();
            if (size < f || size % f != 0) {
                throw new BkdException("benchmark: --size " + size + " must be a positive multiple of " + f + " (8 x 2^"
                        + teacher.config().numUpsamplers() + " for this UNet's " + teacher.config().numBlocks()
                        + " stages)");
            }
            return VariantBenchmark.run(teacher, variants, new VariantBenchmark.Settings(size, batch, steps,
                    !noTrain, !noOptimizer, UNetTable.TEXT_TOKENS, gradientCheckpointing, fp16()), out);
        }
    }

    /** Each variant in a child JVM with this JVM's options and the same benchmark options; results read back from JSON. */
    private List<VariantBenchmark.Result> isolated(PrintWriter out) throws IOException, InterruptedException {
        List<VariantBenchmark.Result> results = new ArrayList<>();
        Path dir = Files.createTempDirectory("bkd-benchmark");
        try {
            for (String v : variants) {
                Path childJson = dir.resolve(results.size() + ".json");
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString()));
                cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BkdCli.class.getName(), "benchmark",
                        "--variants", v, "--size", "" + size, "--steps", "" + steps, "--batch", "" + batch,
                        "--preset", preset, "--json", childJson.toString()));
                if (model != null) {
                    cmd.addAll(List.of("--model", model.toString()));
                }
                if (threads != null) {
                    cmd.addAll(List.of("--threads", "" + threads));
                }
                if (noTrain) {
                    cmd.add("--no-train");
                }
                if (noOptimizer) {
                    cmd.add("--no-optimizer");
                }
                if (gradientCheckpointing) {
                    cmd.add("--gradient-checkpointing");
                }
                cmd.addAll(List.of("--mixed-precision", mixedPrecision));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8))) {
                    lines.lines().forEach(l -> {
                        out.println("  [" + v + "] " + l);
                        out.flush();
                    });
                }
                if (p.waitFor() != 0) {
                    throw new BkdException("benchmark: the child JVM for variant " + v + " failed (exit " + p.exitValue()
                            + "); its output is above");
                }
                results.add(fromJson(ConfigReader.MAPPER.readTree(childJson.toFile()).get("variants").get(0)));
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        return results;
    }

    private boolean fp16() {
        return mixedPrecision.equals("fp16");
    }

    private static String seconds(VariantBenchmark.Timing t) {
        return String.format("%.3f (%.3f)", t.median(), t.min());
    }

    private static VariantBenchmark.Result fromJson(JsonNode v) {
        return new VariantBenchmark.Result(v.get("variant").asText(), v.get("parameters").asLong(),
                v.get("macs").asLong(), timing(v.get("forward_seconds")),
                v.get("kd_step_seconds").isNull() ? null : timing(v.get("kd_step_seconds")),
                v.get("peak_rss_bytes").asLong(), v.get("matmul_gmacs_per_s").asDouble(),
                v.path("kd_peak_rss_bytes").asLong(-1),
                v.path("mixed_precision").isTextual() ? v.get("mixed_precision").asText() : null);
    }

    private static VariantBenchmark.Timing timing(JsonNode t) {
        List<Double> runs = new ArrayList<>();
        t.get("runs").forEach(r -> runs.add(r.asDouble()));
        return new VariantBenchmark.Timing(t.get("median").asDouble(), t.get("min").asDouble(), runs);
    }

    private Integer runSuite(String name) throws Exception {
        Suite main = SUITES.get(name);
        if (main == null) {
            throw new BkdException("benchmark: no suite \"" + name + "\" (available: " + String.join(", ",
                    SUITES.keySet().stream().sorted().toList()) + ")");
        }
        main.main(suiteArgs.toArray(String[]::new));
        return 0;
    }

    private void printTable(PrintWriter out, List<VariantBenchmark.Result> rs, String source, double[] before,
            double[] after) {
        VariantBenchmark.Result teacher = rs.stream().filter(r -> r.variant().equals(VariantBenchmark.TEACHER))
                .findFirst().orElse(null);
        out.printf("UNet at %dx%d px (latent %d), batch %d, %d text tokens, fp32, %s; %d cores, %d timed runs after a"
                + " warm-up, %d intra-op threads; load average %.2f before, %.2f after%n", size, size, size / 8, batch,
                UNetTable.TEXT_TOKENS, source, Runtime.getRuntime().availableProcessors(), steps,
                JniUtils.getNumThreads(), before[0], after[0]);
        String fmt = "%-10s %14s %18s %16s %9s %16s %10s %10s %12s%n";
        out.printf(fmt, "variant", "parameters", "MACs", "forward s", "speed-up", "KD step s", "peak RSS",
                "KD peak", "GMAC/s (mm)");
        for (VariantBenchmark.Result r : rs) {
            out.printf(fmt, r.variant(), String.format("%,d", r.parameters()), String.format("%,d", r.macs()),
                    seconds(r.forward()),
                    teacher == null ? "-" : String.format("%.2fx", teacher.forward().median() / r.forward().median()),
                    r.kdStep() == null ? "-" : seconds(r.kdStep()),
                    r.peakRssBytes() < 0 ? "n/a" : String.format("%.2f GB", r.peakRssBytes() / 1e9),
                    r.kdPeakRssBytes() < 0 ? "-" : String.format("%.2f GB", r.kdPeakRssBytes() / 1e9),
                    String.format("%.1f (%.0f)", r.macs() / r.forward().median() / 1e9, r.matmulGmacs()));
        }
        out.println("seconds: median (fastest); GMAC/s: forward MACs / median time (a 1024^3 matmul's rate just"
                + " before, for scale)");
        if (!noTrain) {
            out.println("KD step = teacher forward (no grad) + student forward/backward of MSE(student, teacher)"
                    + (gradientCheckpointing ? " with gradient checkpointing" : "")
                    + (fp16() ? " in mixed precision (float16 teacher, float16 autocast student, loss scaling)" : "")
                    + (noOptimizer ? "" : " + AdamW update") + "; not measured for the teacher itself.");
        }
    }

    private void writeJson(List<VariantBenchmark.Result> rs, String source, double[] before, double[] after)
            throws IOException {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("timestamp", Instant.now().toString());
        ObjectNode machine = o.putObject("machine");
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        machine.put("java", System.getProperty("java.version"));
        machine.put("intra_op_threads", JniUtils.getNumThreads());
        machine.put("engine", ai.djl.engine.Engine.getInstance().getEngineName() + " "
                + ai.djl.engine.Engine.getInstance().getVersion());
        array(machine.putArray("load_average_before"), before);
        array(machine.putArray("load_average_after"), after);
        ObjectNode settings = o.putObject("settings");
        settings.put("model", source);
        settings.put("size", size);
        settings.put("latent", size / 8);
        settings.put("batch", batch);
        settings.put("steps", steps);
        settings.put("text_tokens", UNetTable.TEXT_TOKENS);
        settings.put("dtype", "float32");
        settings.put("isolated", isolate);
        settings.put("gradient_checkpointing", gradientCheckpointing);
        settings.put("mixed_precision", mixedPrecision);
        settings.put("kd_step", noTrain ? null : "teacher forward (no grad) + student forward/backward of"
                + " MSE(student, teacher)" + (noOptimizer ? "" : " + AdamW update"));
        VariantBenchmark.Result teacher = rs.stream().filter(r -> r.variant().equals(VariantBenchmark.TEACHER))
                .findFirst().orElse(null);
        ArrayNode vs = o.putArray("variants");
        for (VariantBenchmark.Result r : rs) {
            ObjectNode v = vs.addObject();
            v.put("variant", r.variant());
            v.put("parameters", r.parameters());
            v.put("macs", r.macs());
            timing(v.putObject("forward_seconds"), r.forward());
            if (r.kdStep() == null) {
                v.putNull("kd_step_seconds");
            } else {
                timing(v.putObject("kd_step_seconds"), r.kdStep());
            }
            v.put("peak_rss_bytes", r.peakRssBytes());
            v.put("kd_peak_rss_bytes", r.kdPeakRssBytes());
            v.put("mixed_precision", r.mixedPrecision()); // the KD step's; null without one
            v.put("matmul_gmacs_per_s", r.matmulGmacs());
            v.put("forward_gmacs_per_s", r.macs() / r.forward().median() / 1e9);
            if (teacher == null) {
                v.putNull("forward_speedup");
            } else {
                v.put("forward_speedup", teacher.forward().median() / r.forward().median());
            }
        }
        Path parent = json.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.writeString(json, ConfigReader.MAPPER.writeValueAsString(o) + "\n");
    }

    private static void timing(ObjectNode o, VariantBenchmark.Timing t) {
        o.put("median", t.median());
        o.put("min", t.min());
        ArrayNode a = o.putArray("runs");
        t.runs().forEach(a::add);
    }

    private static void array(ArrayNode a, double[] v) {
        for (double d : v) {
            a.add(d);
        }
    }

    /** 1/5/15-minute load averages, or NaN where /proc is unavailable. */
    static double[] loadAverage() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }
}
