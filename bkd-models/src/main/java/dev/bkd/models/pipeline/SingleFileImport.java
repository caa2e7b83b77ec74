package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.singlefile.LdmComponentView;
import dev.bkd.core.singlefile.SingleFile;
import dev.bkd.core.singlefile.SingleFileException;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the pipeline components of a single-file (LDM / A1111) checkpoint: configs, tokenizer and scheduler from
 * a diffusers folder ({@link SingleFileOptions#config()}, or the reference repository of the inferred
 * architecture in the local Hugging Face cache), weights from the file through the key map. Every file tensor is
 * placed, ignored as a known-unused buffer or reported as unexpected; a missing tensor is an error.
 */
public final class SingleFileImport {
    private static final Logger LOG = LoggerFactory.getLogger(SingleFileImport.class);

    private SingleFileImport() {}

    /** The loaded components and what happened to every tensor of the file. */
    public record Loaded(ClipTokenizer tokenizer, ClipTextModel textEncoder, UNet2DConditionModel unet,
            AutoencoderKL vae, SchedulerConfig scheduler, Report report) {}

    /** The load report: config source, which UNet weights were used, tensors placed/ignored/unexpected. */
    public record Report(Path file, Path config, String architecture, boolean ema, boolean emaAvailable, int placed,
            List<String> ignored, List<String> unexpected) {
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append(file).append(": ").append(architecture).append(", configs from ").append(config).append('\n');
            sb.append("  UNet weights: ").append(ema ? "EMA (model_ema.*)" : "non-EMA (model.diffusion_model.*)")
                    .append(emaAvailable && !ema ? "; the file also has EMA weights (use --ema for them)" : "")
                    .append('\n');
            sb.append("  placed ").append(placed).append(" tensors, ignored ").append(ignored.size())
                    .append(" known-unused, unexpected ").append(unexpected.size());
            for (String k : unexpected.subList(0, Math.min(20, unexpected.size()))) {
                sb.append("\n    unexpected: ").append(k);
            }
            return sb.toString();
        }
    }

    /** True when {@code path} is a file bkd would read as a single-file checkpoint (not a pipeline folder). */
    public static boolean isSingleFile(Path path) {
        return Files.isRegularFile(path);
    }

    /** Loads every component of {@code file} into {@code manager}. */
    public static Loaded load(Path file, PipelineOptions options, NDManager manager, HubCache cache) {
        SingleFileOptions so = options.singleFile();
        Weights.LoadOptions load = Weights.LoadOptions.strictFp32().withDtype(options.dtype());
        ClipTokenizer tokenizer = null;
        try (SingleFile sf = SingleFile.open(file)) {
            Config cfg = config(sf, so, cache);
            tokenizer = ClipTokenizer.fromPretrained(cfg.folder.resolve("tokenizer"));
            ClipTextConfig textCfg = ClipTextConfig.read(cfg.folder.resolve("text_encoder/config.json"));
            UNet2DConditionConfig unetCfg = UNet2DConditionConfig.read(cfg.folder.resolve("unet/config.json"));
            AutoencoderKLConfig vaeCfg = AutoencoderKLConfig.read(cfg.folder.resolve("vae/config.json"));
            SchedulerConfig sched = SchedulerConfig.read(cfg.folder.resolve("scheduler")
                    .resolve(SchedulerConfig.FILE_NAME));
            if (so.predictionType() != null) {
                sched = sched.with("prediction_type", so.predictionType());
            }
            LdmComponentView textView = sf.textEncoder(textCfg.numHiddenLayers());
            LdmComponentView unetView = sf.unet(so.ema());
            LdmComponentView vaeView = sf.vae();
            String src = file.toString();
            ClipTextModel text = ClipTextModel.fromStateDict(textCfg, textView, manager, load, src + " (text encoder)");
            UNet2DConditionModel unet = UNet2DConditionModel.fromStateDict(unetCfg, unetView, manager,
                    new UNet2DConditionModel.Options(options.device(), options.dtype(), null), src + " (UNet)");
            AutoencoderKL vae = options.vae() != null ? loadVae(options.vae(), vaeCfg, manager, load)
                    : AutoencoderKL.fromStateDict(vaeCfg, vaeView, manager, load, src + " (VAE)");
            SingleFile.Accounting acc = sf.unaccounted(textView, unetView, vaeView);
            Report report = new Report(file, cfg.folder, cfg.label, so.ema(), sf.hasEma(), acc.placed(), acc.ignored(),
                    acc.unexpected());
            LOG.info("{}", report.describe());
            return new Loaded(tokenizer, text, unet, vae, sched, report);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /**
     * Writes {@code file} as a diffusers pipeline folder into the (empty or new) folder {@code out}: weights
     * through the key map (in {@code options.dtype()}), configs as loaded (prediction type override applied),
     * tokenizer files and model_index.json copied from the config folder. {@code options.vae()} replaces the VAE.
     */
    public static Report convert(Path file, PipelineOptions options, HubCache cache, Path out) {
        try (NDManager m = NDManager.newBaseManager()) {
            Loaded c = load(file, options, m, cache);
            try {
                java.nio.file.Files.createDirectories(out);
                copyTree(c.report().config().resolve("tokenizer"), out.resolve("tokenizer"));
                Path index = c.report().config().resolve("model_index.json");
                java.nio.file.Files.copy(index, out.resolve("model_index.json"));
                java.nio.file.Files.createDirectories(out.resolve("scheduler"));
                c.scheduler().write(out.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
                for (String d : new String[] {"text_encoder", "unet", "vae"}) {
                    java.nio.file.Files.createDirectories(out.resolve(d));
                }
                c.textEncoder().save(out.resolve("text_encoder"));
                c.unet().save(out.resolve("unet"));
                c.vae().save(out.resolve("vae"));
            } catch (java.io.IOException e) {
                throw new SingleFileException(out + ": cannot write the converted pipeline: " + e.getMessage());
            } finally {
                c.tokenizer().close();
            }
            return c.report();
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(from)) {
            for (Path p : s.sorted().toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(t);
                } else {
                    java.nio.file.Files.copy(p, t);
                }
            }
        }
    }

    private record Config(Path folder, String label) {}

    /** {@code --config DIR}, else the inferred architecture's reference repository from the local HF cache. */
    private static Config config(SingleFile sf, SingleFileOptions so, HubCache cache) {
        if (so.config() != null) {
            if (!Files.isDirectory(so.config())) {
                throw new SingleFileException(so.config() + ": --config must be a diffusers pipeline folder (with"
                        + " unet/, vae/, text_encoder/, tokenizer/, scheduler/ configs)");
            }
            return new Config(so.config(), "configs given");
        }
        long cross = sf.crossAttentionDim().orElseThrow(() -> new SingleFileException(sf.path() + ": not a standard"
                + " SD1.x/SD2.x UNet (no `" + "input_blocks.2.1` cross-attention); pass --config DIR with a diffusers"
                + " folder that describes it"));
        LdmModelType type = LdmModelType.infer(cross, sf.unetInChannels().orElse(4L));
        if (type.crossAttentionDim != cross) {
            throw new SingleFileException(sf.path() + ": UNet cross-attention width " + cross + " is not a standard"
                    + " SD1.x (768) or SD2.x (1024) size, so its architecture cannot be inferred; pass --config DIR"
                    + " with a diffusers folder whose configs describe it");
        }
        List<String> looked = new ArrayList<>();
        for (String repo : type.repos) {
            try {
                return new Config(cache.snapshot(repo), type.label + " (inferred), " + repo);
            } catch (ModelNotFoundException e) {
                looked.add(repo);
            }
        }
        throw new SingleFileException(sf.path() + ": inferred " + type.label + " from its tensors; its configs and"
                + " tokenizer come from " + looked + ", none of which is in the local Hugging Face cache ("
                + cache.root() + "). bkd never downloads: pass --config DIR with a diffusers folder of that model");
    }

    /**
     * A VAE replacing the model's: a diffusers VAE folder, or a file (standalone LDM layout such as
     * {@code vae-ft-mse-840000-ema-pruned.safetensors}, or diffusers-named weights) read with {@code config}.
     */
    public static AutoencoderKL loadVae(Path path, AutoencoderKLConfig config, NDManager manager,
            Weights.LoadOptions load) {
        if (Files.isDirectory(path)) {
            return AutoencoderKL.fromPretrained(path, manager, load);
        }
        if (!Files.isRegularFile(path)) {
            throw new SingleFileException(path + ": --vae must be a diffusers VAE folder or a VAE weight file");
        }
        try (StateDict raw = StateDicts.open(path)) {
            boolean diffusersNamed = raw.keys().stream().anyMatch(k -> k.startsWith("encoder.down_blocks.")
                    || k.startsWith("decoder.up_blocks."));
            if (diffusersNamed) {
                return AutoencoderKL.fromStateDict(config, raw, manager, load, path.toString());
            }
        }
        try (SingleFile sf = SingleFile.open(path)) {
            LdmComponentView view = sf.vae();
            AutoencoderKL vae = AutoencoderKL.fromStateDict(config, view, manager, load, path + " (VAE)");
            SingleFile.Accounting acc = sf.unaccounted(view);
            LOG.info("VAE {}: placed {} tensors, ignored {}, unexpected {}{}", path, acc.placed(), acc.ignored().size(),
                    acc.unexpected().size(), acc.unexpected().isEmpty() ? "" : " " + acc.unexpected());
            return vae;
        }
    }
}
