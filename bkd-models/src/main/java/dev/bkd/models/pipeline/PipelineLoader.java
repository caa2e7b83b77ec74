package dev.bkd.models.pipeline;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a {@link DiffusionPipeline} from a diffusers folder or the local Hugging Face cache: checks
 * {@code model_index.json} names components bkd can run, loads the five components and checks they fit together.
 */
final class PipelineLoader {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionPipeline.class);
    /** Components bkd loads, with the classes it can load them as. */
    private static final Map<String, Set<String>> REQUIRED = Map.of(
            "tokenizer", Set.of("CLIPTokenizer", "CLIPTokenizerFast"),
            "text_encoder", Set.of("CLIPTextModel"),
            "unet", Set.of(UNet2DConditionModel.class.getSimpleName()),
            "vae", Set.of("AutoencoderKL"),
            "scheduler", Set.of());
    /** Components SD folders ship that text-to-image does not need. */
    private static final Set<String> IGNORED = Set.of("safety_checker", "feature_extractor", "image_encoder");

    private PipelineLoader() {}

    /** See {@link DiffusionPipeline#fromPretrained(String, PipelineOptions, HubCache)}. */
    static DiffusionPipeline fromPretrained(String folderOrHubId, PipelineOptions options, HubCache cache) {
        Path local = Path.of(folderOrHubId);
        if (SingleFileImport.isSingleFile(local)) {
            return fromSingleFile(local, options, cache);
        }
        if (Files.isDirectory(local)) {
            return load(local, options, local.toAbsolutePath().normalize().getFileName().toString());
        }
        if (!HubCache.isRepoId(folderOrHubId)) {
            throw new ModelNotFoundException("no folder " + local.toAbsolutePath() + " (and \"" + folderOrHubId
                    + "\" is not a Hugging Face hub id such as runwayml/stable-diffusion-v1-5)");
        }
        Path snapshot;
        try {
            snapshot = cache.snapshot(folderOrHubId);
        } catch (ModelNotFoundException e) {
            throw new ModelNotFoundException("no folder " + local.toAbsolutePath() + "; " + e.getMessage());
        }
        return load(snapshot, options, folderOrHubId);
    }

    /** diffusers pipeline classes whose folders are SD 1.x/2.x components bkd loads (the same component set). */
    private static final Set<String> KNOWN_PIPELINES = Set.of("StableDiffusionPipeline",
            "StableDiffusionImg2ImgPipeline", "StableDiffusionInpaintPipeline", "StableDiffusionInpaintPipelineLegacy");

    /** See {@link DiffusionPipeline#fromSingleFile(Path, PipelineOptions, HubCache)}. */
    static DiffusionPipeline fromSingleFile(Path file, PipelineOptions options, HubCache cache) {
        NDManager manager = NDManager.newBaseManager(options.device());
        ClipTokenizer tokenizer = null;
        try {
            SingleFileImport.Loaded c = SingleFileImport.load(file, options, manager, cache);
            tokenizer = c.tokenizer();
            checkCompatible(file.toString(), c.textEncoder(), c.unet(), c.vae());
            String schedName = DiffusionPipeline.probeScheduler(options.scheduler(), c.scheduler());
            return new DiffusionPipeline(manager, true, c.tokenizer(), c.textEncoder(), c.unet(), c.vae(), c.scheduler(),
                    schedName, options, file.getFileName().toString());
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    static DiffusionPipeline load(Path folder, PipelineOptions options, String modelName) {
        ModelIndex index = readIndex(folder);
        if (options.device().isGpu() && Engine.getInstance().getGpuCount() == 0) {
            throw new BkdException("device " + options.device() + " was asked for, but libtorch sees no GPU"
                    + " (this build uses " + Engine.getInstance().getEngineName() + " "
                    + Engine.getInstance().getVersion() + "; see README \"GPU\" and run `bkd doctor`)");
        }
        SchedulerConfig schedCfg = SchedulerConfig.read(folder.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
        String schedName = DiffusionPipeline.probeScheduler(options.scheduler(), schedCfg);
        NDManager manager = NDManager.newBaseManager(options.device());
        ClipTokenizer tokenizer = null;
        try {
            Weights.LoadOptions load = Weights.LoadOptions.strictFp32().withDtype(options.dtype());
            tokenizer = ClipTokenizer.fromPretrained(folder.resolve("tokenizer"));
            ClipTextModel textEncoder = ClipTextModel.fromPretrained(folder.resolve("text_encoder"), options.variant(),
                    manager, load);
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(folder.resolve("unet"), manager,
                    new UNet2DConditionModel.Options(options.device(), options.dtype(), options.variant()));
            AutoencoderKL vae = options.vae() == null
                    ? AutoencoderKL.fromPretrained(folder.resolve("vae"), options.variant(), manager, load)
                    : SingleFileImport.loadVae(options.vae(), AutoencoderKLConfig.read(folder.resolve("vae/config.json")),
                            manager, load);
            checkCompatible(folder.toString(), textEncoder, unet, vae);
            LOG.info("loaded {} ({}, {}, {}, scheduler {})", modelName, index.className(), options.device(),
                    options.dtype(), schedName);
            return new DiffusionPipeline(manager, true, tokenizer, textEncoder, unet, vae, schedCfg, schedName, options,
                    modelName);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    private static ModelIndex readIndex(Path folder) {
        Path file = folder.resolve(DiffusionPipeline.MODEL_INDEX);
        if (!Files.isRegularFile(file)) {
            throw new ModelNotFoundException(folder + " is not a diffusers pipeline folder: it has no "
                    + DiffusionPipeline.MODEL_INDEX + (Files.isDirectory(folder) ? "" : " (the folder does not exist)"));
        }
        ModelIndex index = ModelIndex.read(file);
        if (!KNOWN_PIPELINES.contains(index.className())) { // else another architecture loads as SD, silently
            throw new ConfigException(file + ": `_class_name` \"" + index.className() + "\" is not a pipeline bkd"
                    + " runs (known: " + String.join(", ", new java.util.TreeSet<>(KNOWN_PIPELINES)) + "); if this is"
                    + " a Stable Diffusion 1.x/2.x pipeline under another name, set it to StableDiffusionPipeline");
        }
        for (Map.Entry<String, Set<String>> req : REQUIRED.entrySet()) {
            ModelIndex.Component c = index.component(req.getKey()).orElseThrow(() -> new ConfigException(file
                    + ": component `" + req.getKey() + "` is missing or [null, null]; text-to-image needs it"));
            if (!req.getValue().isEmpty() && !req.getValue().contains(c.className())) {
                throw new ConfigException(file + ": field `" + req.getKey() + "` = [\"" + c.library() + "\", \""
                        + c.className() + "\"] is not supported by bkd (supported: " + req.getValue() + ")");
            }
        }
        for (String name : index.components().keySet()) {
            if (index.component(name).isPresent() && !REQUIRED.containsKey(name) && !IGNORED.contains(name)) {
                throw new ConfigException(file + ": component `" + name + "` (" + index.className() + ") is not"
                        + " supported by bkd, which runs StableDiffusionPipeline folders (SD 1.x / 2.x)");
            }
            if (IGNORED.contains(name) && index.component(name).isPresent()) {
                LOG.info("{}: `{}` is not used by bkd (no safety checker runs)", file, name);
            }
        }
        return index;
    }

    /**
     * The three models must agree on the text width and latent channels, or generate would fail mid-way.
     * {@code where} names the folder (or the in-memory pipeline) in the message.
     */
    static void checkCompatible(String where, ClipTextModel text, UNet2DConditionModel unet, AutoencoderKL vae) {
        int hidden = text.config().hiddenSize();
        for (int cross : unet.config().crossAttentionDim()) {
            if (cross != hidden) {
                throw new ConfigException(where + ": unet/config.json `cross_attention_dim` = " + cross
                        + " but text_encoder/config.json `hidden_size` = " + hidden + "; they must match");
            }
        }
        int latent = vae.config().latentChannels();
        int in = unet.config().inChannels();
        // an inpainting UNet also takes the mask (1) and the masked image's latents (latent) as input channels
        boolean inpainting = ImageConditioning.isInpaintingUnet(in, latent);
        if ((in != latent && !inpainting) || unet.config().outChannels() != latent) {
            throw new ConfigException(where + ": unet/config.json `in_channels` / `out_channels` = "
                    + in + " / " + unet.config().outChannels() + " but vae/config.json `latent_channels` = "
                    + latent + "; they must be " + latent + " / " + latent + " (text-to-image) or "
                    + (2 * latent + 1) + " / " + latent + " (inpainting: latents + mask + masked-image latents)");
        }
    }
}
