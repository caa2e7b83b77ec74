package dev.bkd.examples.cli;

import dev.bkd.core.BkdException;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.pipeline.HubCache;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.pipeline.SingleFileImport;
import dev.bkd.models.pipeline.SingleFileOptions;
import dev.bkd.models.vae.AutoencoderKL;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * The options of every command that takes a model: {@code --model}/{@code --teacher} may be a single-file
 * checkpoint (LDM / A1111 {@code .safetensors}, or {@code .ckpt} read weights-only), and {@code --vae}
 * replaces the model's VAE. Commands that run a pipeline pass {@link #apply} to it; commands that read a
 * folder get one from {@link #folder}: the model itself, or a converted diffusers copy in bkd's cache
 * ({@code $BKD_CACHE_DIR}, default {@code ~/.cache/bkd}), made once per file and options and reused.
 */
final class CheckpointMixin {
    /** Where converted single files go (system property first: tests and embedders set it). */
    static final String CACHE_PROPERTY = "bkd.cache.dir";

    @Option(names = "--config", paramLabel = "DIR",
            description = "For a single-file model: the diffusers folder whose configs, tokenizer and scheduler to"
                + " use. Default: inferred (SD1.x/SD2.x) and taken from the matching repo in the local Hugging Face"
                + " cache.")
    Path config;

    /** The prediction types of SD UNets (picocli rejects anything else as a bad argument). */
    enum PredictionType { epsilon, v_prediction }

    @Option(names = "--prediction-type", paramLabel = "TYPE",
            description = "For a single-file model: epsilon or v_prediction, overriding the scheduler config's.")
    PredictionType predictionType;

    @Option(names = "--ema-weights",
            description = "For a single-file model: read the UNet's EMA copy (model_ema.*) instead of the non-EMA"
                + " weights (diffusers' default).")
    boolean emaWeights;

    @Option(names = "--vae", paramLabel = "FILE|DIR",
            description = "Use this VAE instead of the model's: a diffusers VAE folder or a standalone VAE file"
                + " (e.g. vae-ft-mse-840000-ema-pruned.safetensors).")
    Path vae;

    SingleFileOptions singleFile() {
        return new SingleFileOptions(config, predictionType == null ? null : predictionType.name(), emaWeights);
    }

    /** {@code options} with the single-file options and the VAE override. */
    PipelineOptions apply(PipelineOptions options) {
        return options.withSingleFile(singleFile()).withVae(vae);
    }

    /**
     * A diffusers folder for {@code model}: the folder itself when it is one and no --vae is given; otherwise a
     * converted copy (single file through the key map, or the folder with its VAE replaced) in bkd's cache.
     */
    Path folder(Path model, PrintWriter err) {
        boolean file = Files.isRegularFile(model);
        if (!file && vae == null) {
            return model;
        }
        if (!file && !Files.isDirectory(model)) {
            return model; // the command reports the missing folder in its own words
        }
        Path target = cacheRoot().resolve(key(model));
        if (Files.isRegularFile(target.resolve("model_index.json"))) {
            err.println("using " + target + " (" + model.getFileName() + " converted earlier)");
            err.flush();
            return target;
        }
        err.println("converting " + model + " to a diffusers folder in " + target);
        err.flush();
        try (AtomicFolder f = AtomicFolder.begin(target, true)) {
            if (file) {
                SingleFileImport.convert(model, apply(PipelineOptions.defaults()), HubCache.fromEnvironment(), f.dir());
            } else {
                copyWithVae(model, f.dir());
            }
            f.commit();
        } catch (IOException e) {
            throw new BkdException(target + ": cannot write the converted model: " + e.getMessage(), e);
        }
        return target;
    }

    private void copyWithVae(Path model, Path out) throws IOException {
        try (Stream<Path> s = Files.walk(model)) {
            for (Path p : s.sorted().toList()) {
                Path rel = model.relativize(p);
                if (rel.toString().isEmpty() || rel.getName(0).toString().equals("vae")) {
                    continue;
                }
                Path t = out.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        Files.createDirectories(out.resolve("vae"));
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            AutoencoderKLConfig cfg = AutoencoderKLConfig.read(model.resolve("vae/config.json"));
            AutoencoderKL v = SingleFileImport.loadVae(vae, cfg, m, Weights.LoadOptions.strictFp32());
            v.save(out.resolve("vae"));
        }
    }

    /** One cache entry per model file (path, size, time) and options. */
    private String key(Path model) {
        StringBuilder sb = new StringBuilder();
        for (Path p : new Path[] {model, config, vae}) {
            if (p != null) {
                sb.append(p.toAbsolutePath().normalize()).append('|');
                try {
                    if (Files.isRegularFile(p)) {
                        sb.append(Files.size(p)).append('|').append(Files.getLastModifiedTime(p).toMillis());
                    }
                } catch (IOException e) {
                    sb.append("?");
                }
            }
            sb.append(';');
        }
        sb.append(predictionType).append(';').append(emaWeights);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            String stem = model.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
            return stem + "-" + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path cacheRoot() {
        String prop = System.getProperty(CACHE_PROPERTY);
        String env = System.getenv("BKD_CACHE_DIR");
        Path root = prop != null ? Path.of(prop) : env != null ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "bkd");
        return root.resolve("single-file");
    }
}
