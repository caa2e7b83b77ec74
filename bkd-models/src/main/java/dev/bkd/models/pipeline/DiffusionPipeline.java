package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.lora.LoraLoadReport;
import dev.bkd.core.random.NoiseSource;
import dev.bkd.core.random.PerImageNoise;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.limits.SizeLimits;
import dev.bkd.core.weights.Finite;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.schedulers.Scheduler;
import dev.bkd.models.schedulers.Schedulers;
import dev.bkd.models.prompt.PromptSyntax;
import dev.bkd.models.tokenizer.ClipTokenizer;
import dev.bkd.models.vae.AutoencoderKL;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * diffusers' StableDiffusionPipeline (text to image) for SD1.x/2.x folders: tokenizer, CLIP text encoder, UNet,
 * VAE and scheduler loaded from a pipeline folder or the local Hugging Face cache. {@link #generate} follows
 * diffusers' {@code __call__} step by step (prompt encoding, classifier-free guidance in one batched UNet call,
 * init-sigma scaling, decode of latents / scaling_factor), so injected latents reproduce diffusers' images.
 *
 * <p>Every native array a generate call makes lives in a sub-manager that is closed when it returns; results come
 * back as Java arrays. The weights stay until {@link #close()}. Each call builds its own scheduler, generator and
 * arrays, so one pipeline can serve several threads at once, each getting bit for bit the image it would get
 * alone; LoRA changes and close wait for running generations ({@link PipelineLock}).
 */
public final class DiffusionPipeline implements AutoCloseable {
    public static final String MODEL_INDEX = "model_index.json";

    private final NDManager manager;
    /** False for {@link #of}: the caller keeps owning the models, close frees only this pipeline's manager. */
    private final boolean ownsComponents;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final SchedulerConfig schedulerConfig;
    private final PipelineOptions options;
    private final String modelName;
    private final PipelineLoras loras;
    private final PipelineLock lock;
    /** Read once per generate call, so a switch never lands mid-call. */
    private volatile String schedulerName;

    DiffusionPipeline(NDManager manager, boolean ownsComponents, ClipTokenizer tokenizer, ClipTextModel textEncoder,
            UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig, String schedulerName,
            PipelineOptions options, String modelName) {
        this(manager, ownsComponents, tokenizer, textEncoder, unet, vae, schedulerConfig, schedulerName, options,
                modelName, new PipelineLock());
    }

    private DiffusionPipeline(NDManager manager, boolean ownsComponents, ClipTokenizer tokenizer,
            ClipTextModel textEncoder, UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig,
            String schedulerName, PipelineOptions options, String modelName, PipelineLock lock) {
        this.manager = manager;
        this.ownsComponents = ownsComponents;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
        this.schedulerName = schedulerName;
        this.options = options;
        this.modelName = modelName;
        this.lock = lock;
        this.loras = new PipelineLoras(unet, textEncoder, lock);
    }

    // ------------------------------------------------------------------ loading

    /** A pipeline folder or hub id with {@link PipelineOptions#defaults()}. */
    public static DiffusionPipeline fromPretrained(String folderOrHubId) {
        return fromPretrained(folderOrHubId, PipelineOptions.defaults());
    }

    /**
     * Like diffusers: an existing folder is loaded as is; anything else is taken as a hub id
     * ({@code runwayml/stable-diffusion-v1-5}) and looked up in the local Hugging Face cache (never downloaded).
     */
    public static DiffusionPipeline fromPretrained(String folderOrHubId, PipelineOptions options) {
        return fromPretrained(folderOrHubId, options, HubCache.fromEnvironment());
    }

    /** As {@link #fromPretrained(String, PipelineOptions)}, looking up hub ids in {@code cache}. */
    public static DiffusionPipeline fromPretrained(String folderOrHubId, PipelineOptions options, HubCache cache) {
        return PipelineLoader.fromPretrained(folderOrHubId, options, cache);
    }

    /**
     * A single-file checkpoint in the original LDM / A1111 layout ({@code .safetensors}, or {@code .ckpt} read
     * weights-only), like diffusers' {@code from_single_file}; see {@link SingleFileOptions} for configs,
     * prediction type and EMA weights. {@link #fromPretrained(String, PipelineOptions)} also takes such a file.
     */
    public static DiffusionPipeline fromSingleFile(Path file, PipelineOptions options) {
        return fromSingleFile(file, options, HubCache.fromEnvironment());
    }

    /** As {@link #fromSingleFile(Path, PipelineOptions)}, inferred configs looked up in {@code cache}. */
    public static DiffusionPipeline fromSingleFile(Path file, PipelineOptions options, HubCache cache) {
        return PipelineLoader.fromSingleFile(file, options, cache);
    }

    /** Loads a diffusers pipeline folder (with {@code model_index.json}). */
    public static DiffusionPipeline fromPretrained(Path folder, PipelineOptions options) {
        return PipelineLoader.load(folder, options, folder.toAbsolutePath().normalize().getFileName().toString());
    }

    /**
     * A pipeline over components already in memory (a model being trained, a teacher's encoders), with nothing
     * written or read: validation during training draws with the live weights. The caller keeps owning the
     * components ({@link #close} frees only what generate made); their dtype must be {@code options.dtype()}.
     * Generation does not record gradients unless the caller records them.
     *
     * @param modelName what {@link GenerationParameters#model()} records
     * @throws ConfigException if the components do not fit together, or the scheduler is unknown
     */
    public static DiffusionPipeline of(ClipTokenizer tokenizer, ClipTextModel textEncoder, UNet2DConditionModel unet,
            AutoencoderKL vae, SchedulerConfig schedulerConfig, PipelineOptions options, String modelName) {
        return of(tokenizer, textEncoder, unet, vae, schedulerConfig, options, modelName, new PipelineLock());
    }

    private static DiffusionPipeline of(ClipTokenizer tokenizer, ClipTextModel textEncoder,
            UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig, PipelineOptions options,
            String modelName, PipelineLock lock) {
        PipelineLoader.checkCompatible("pipeline `" + modelName + "`", textEncoder, unet, vae);
        String schedName = probeScheduler(options.scheduler(), schedulerConfig);
        return new DiffusionPipeline(NDManager.newBaseManager(options.device()), false, tokenizer, textEncoder, unet,
                vae, schedulerConfig, schedName, options, modelName, lock);
    }

    /** This pipeline with {@code unet} in place of its own (e.g. a student being trained); see {@link #of}. */
    public DiffusionPipeline withUnet(UNet2DConditionModel unet, String modelName) {
        // the text encoder is shared: a LoRA change through either pipeline must wait for both one's generations
        return of(tokenizer, textEncoder, unet, vae, schedulerConfig, options, modelName, lock.sharing());
    }

    /** The bkd name of {@code requested} (or of the config's own class), failing early on unknown names. */
    static String probeScheduler(String requested, SchedulerConfig cfg) {
        try (Scheduler s = requested == null ? Schedulers.fromConfig(cfg) : Schedulers.create(requested, cfg)) {
            return s.name();
        }
    }

    // ------------------------------------------------------------------ components

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public AutoencoderKL vae() {
        return vae;
    }

    public PipelineOptions options() {
        return options;
    }

    /** The hub id, or the folder's name: what {@link GenerationParameters#model()} records. */
    public String modelName() {
        return modelName;
    }

    /** The scheduler generate uses unless a request names another (bkd name, e.g. {@code pndm}). */
    public String schedulerName() {
        return schedulerName;
    }

    /** The folder's scheduler config; other schedulers are built from it (diffusers' from_config). */
    public SchedulerConfig schedulerConfig() {
        return schedulerConfig;
    }

    /** Switches the default scheduler, like {@code pipe.scheduler = X.from_config(pipe.scheduler.config)}. */
    public void setScheduler(String name) {
        schedulerName = probeScheduler(name, schedulerConfig);
    }

    /** A new scheduler of {@code name} (null: the default) on this pipeline's config; the caller closes it. */
    public Scheduler newScheduler(String name) {
        return Schedulers.create(name == null ? schedulerName : name, schedulerConfig);
    }

    /** 2^(VAE levels - 1): pixels per latent (8 for SD). */
    public int vaeScaleFactor() {
        return vae.config().downscaleFactor();
    }

    /** unet sample_size x VAE scale factor (diffusers' default height). */
    public int defaultHeight() {
        return unet.config().sampleSize().get(0) * vaeScaleFactor();
    }

    public int defaultWidth() {
        List<Integer> s = unet.config().sampleSize();
        return s.get(s.size() - 1) * vaeScaleFactor();
    }

    /** The manager holding the weights (tests count its arrays). */
    NDManager manager() {
        return manager;
    }

    // ------------------------------------------------------------------ prompts

    /**
     * The text encoder's last hidden state for {@code prompts}, each tokenized like diffusers (truncated and
     * padded to {@code model_max_length}): (prompts, 77, hidden) in the model dtype, attached to {@code out}.
     */
    public NDArray encodePrompt(List<String> prompts, NDManager out) {
        return lock.read("encodePrompt", () -> {
            try (NDManager tmp = manager.newSubManager()) {
                NDArray e = encode(prompts, tmp);
                e.attach(out);
                return e;
            }
        });
    }

    private NDArray encode(List<String> prompts, NDManager m) {
        return new TextConditioning(tokenizer, textEncoder).plain(prompts, 1, m);
    }

    // ------------------------------------------------------------------ LoRA

    /** The LoRA adapters of this pipeline's UNet and text encoder. */
    public PipelineLoras loras() {
        return loras;
    }

    /** {@link PipelineLoras#load(Path, double)}. */
    public LoraLoadReport loadLora(Path file, double scale) {
        return loras.load(file, scale);
    }

    /** {@link PipelineLoras#load(Path, double, String, boolean)}. */
    public LoraLoadReport loadLora(Path file, double scale, String name, boolean strict) {
        return loras.load(file, scale, name, strict);
    }

    /** {@link PipelineLoras#names()}. */
    public List<String> loraNames() {
        return loras.names();
    }

    /** {@link PipelineLoras#fuse()}. */
    public void fuseLora() {
        loras.fuse();
    }

    /** {@link PipelineLoras#unfuse()}. */
    public void unfuseLora() {
        loras.unfuse();
    }

    /** {@link PipelineLoras#remove(String)}. */
    public void removeLora(String name) {
        loras.remove(name);
    }

    // ------------------------------------------------------------------ generation

    /**
     * Runs text-to-image, or image-to-image / inpainting when the request has an init image (see
     * {@link GenerationRequest} for the arguments and {@link GenerationResult}).
     */
    public GenerationResult generate(GenerationRequest req) {
        return lock.read("generate", () -> generateUnlocked(req));
    }

    private GenerationResult generateUnlocked(GenerationRequest req) {
        ImageConditioning imageInput = new ImageConditioning(vae, unet.config().inChannels(), options.dtype());
        int[] size = req.imageInput() != null ? imageInput.size(req, new int[] {defaultWidth(), defaultHeight()})
                : new int[] {req.width() != null ? req.width() : defaultWidth(),
                        req.height() != null ? req.height() : defaultHeight()};
        int width = size[0];
        int height = size[1];
        int f = vaeScaleFactor();
        if (height % f != 0 || width % f != 0) {
            throw new GenerationRequestException(height % f != 0 ? "height" : "width", "= "
                    + (height % f != 0 ? height : width) + ": must be a multiple of the VAE scale factor " + f);
        }
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong(1L << 32);
        String schedName = req.scheduler() == null ? schedulerName : req.scheduler();
        try (NDManager call = manager.newSubManager();
                Scheduler scheduler = Schedulers.create(schedName, schedulerConfig)) {
            Prompts prompts = Prompts.of(req);
            int batch = prompts.count() * req.imagesPerPrompt();
            NoiseSource generator = noise(req, seed, batch);
            SizeLimits.requireMemory(SizeLimits.attentionBytes(height / f, width / f,
                    (long) batch * (req.doClassifierFreeGuidance() ? 2 : 1)), batch + " image(s) of " + width + "x" + height);
            NDArray context = textContext(req, prompts, call);
            DenoisingStart start;
            if (req.imageInput() == null) {
                if (ImageConditioning.isInpaintingUnet(unet.config().inChannels(), vae.config().latentChannels())) {
                    throw new GenerationRequestException("initImage", "is missing: this is an inpainting model (unet"
                            + " in_channels " + unet.config().inChannels() + "); give an init image and a mask"
                            + " (--init-image FILE --mask FILE)");
                }
                scheduler.setTimesteps(req.steps());
                Shape shape = new Shape(batch, vae.config().latentChannels(), height / f, width / f);
                NDArray latents = initialLatents(req, shape, generator, call).mul(scheduler.initNoiseSigma());
                start = new DenoisingStart(latents, scheduler.timesteps(), null, null);
            } else {
                start = imageInput.prepare(req, scheduler, batch, width, height, generator, call);
            }
            NDArray latents = new DenoisingLoop(unet, options.dtype()).run(req, scheduler, start, context, generator,
                    call);

            FloatTensor latentsOut = req.outputs().contains(OutputType.LATENTS) ? FloatTensor.of(latents) : null;
            FloatTensor image = null;
            List<BufferedImage> images = List.of();
            if (req.outputs().contains(OutputType.IMAGES) || req.outputs().contains(OutputType.ARRAY)) {
                DenoisingLoop.checkCancel(req, "before decoding");
                NonFiniteLatents.check(latents, Map.of("unet", unet, "text_encoder", textEncoder), req);
                image = decode(latents);
                images = req.outputs().contains(OutputType.IMAGES) ? Images.toBufferedImages(image) : List.of();
                image = req.outputs().contains(OutputType.ARRAY) ? image : null;
            }
            List<GenerationParameters> params = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                int p = i / req.imagesPerPrompt();
                params.add(new GenerationParameters(prompts.prompt(p), prompts.negative(p), req.steps(), schedName,
                        req.guidanceScale(), req.seeds().isEmpty() ? seed : req.seeds().get(i), width, height,
                        modelName, req.promptSyntax().cliName(), req.clipSkip(), req.rng().infotext(),
                        req.imageInput() == null ? null : req.imageInput().effectiveStrength()));
            }
            return new GenerationResult(images, image, latentsOut, params);
        }
    }

    /** One generator for the batch, or one per image when the request lists seeds. */
    private static NoiseSource noise(GenerationRequest req, long seed, int batch) {
        if (req.seeds().isEmpty()) {
            return req.rng().create(seed);
        }
        if (req.seeds().size() != batch) {
            throw new GenerationRequestException("seeds", "has " + req.seeds().size() + " entries for " + batch
                    + " images (prompts x images per prompt): give one seed per image");
        }
        return new PerImageNoise(req.seeds().stream().map(s -> req.rng().create(s)).toList());
    }

    /** latents / scaling_factor through the VAE, then (x / 2 + 0.5).clamp(0, 1) as (B, H, W, 3) floats. */
    private FloatTensor decode(NDArray latents) {
        try (NDManager m = latents.getManager().newSubManager()) {
            NDArray z = latents.div((float) vae.scalingFactor());
            z.attach(m);
            NDArray x = cast(vae.decode(cast(z, options.dtype())), DataType.FLOAT32);
            x.attach(m);
            NDArray img = x.div(2f).add(0.5f).clip(0f, 1f).transpose(0, 2, 3, 1);
            return FloatTensor.of(img);
        }
    }

    /** (2B or B, T, C): negative then positive embeddings, each row repeated per image like diffusers. */
    private NDArray textContext(GenerationRequest req, Prompts prompts, NDManager call) {
        int n = prompts.count();
        int crossDim = unet.config().crossAttentionDim().get(0);
        TextConditioning text = new TextConditioning(tokenizer, textEncoder);
        boolean a1111 = req.promptEmbeds() == null && req.promptSyntax() == PromptSyntax.A1111;
        NDArray[] weighted = a1111 ? text.a1111(prompts.prompts(), req.doClassifierFreeGuidance()
                && req.negativePromptEmbeds() == null ? prompts.negatives() : null, req.clipSkip(), call) : null;
        NDArray cond = req.promptEmbeds() != null
                ? copyIn(req.promptEmbeds(), call, "promptEmbeds", options.dtype())
                : a1111 ? cast(weighted[0], options.dtype()) : text.plain(prompts.prompts(), req.clipSkip(), call);
        Shape cs = cond.getShape();
        if (cs.dimension() != 3 || cs.get(0) != n || cs.get(2) != crossDim) {
            throw new GenerationRequestException("promptEmbeds", "has shape " + cs + "; expected (" + n
                    + ", tokens, " + crossDim + ") (cross_attention_dim " + crossDim + ")");
        }
        NDArray context = repeatPerImage(cond, req.imagesPerPrompt());
        if (req.doClassifierFreeGuidance()) {
            NDArray uncond;
            if (req.negativePromptEmbeds() != null) {
                uncond = copyIn(req.negativePromptEmbeds(), call, "negativePromptEmbeds", options.dtype());
                if (!uncond.getShape().equals(cs)) {
                    throw new GenerationRequestException("negativePromptEmbeds", "has shape " + uncond.getShape()
                            + " but promptEmbeds has " + cs + "; they must match (like diffusers)");
                }
            } else if (a1111) {
                uncond = cast(weighted[1], options.dtype());
            } else {
                if (cs.get(1) != tokenizer.modelMaxLength()) {
                    throw new GenerationRequestException("negativePromptEmbeds", "is needed: promptEmbeds has "
                            + cs.get(1) + " tokens, but negative prompts encode to " + tokenizer.modelMaxLength());
                }
                uncond = text.plain(prompts.negatives(), req.clipSkip(), call);
            }
            context = repeatPerImage(uncond, req.imagesPerPrompt()).concat(context, 0);
        }
        return cast(context, options.dtype());
    }

    private static NDArray repeatPerImage(NDArray embeds, int imagesPerPrompt) {
        return imagesPerPrompt == 1 ? embeds : embeds.repeat(0, imagesPerPrompt);
    }

    private NDArray initialLatents(GenerationRequest req, Shape shape, NoiseSource generator, NDManager call) {
        if (req.latents() == null) {
            return generator.randn(call, shape);
        }
        NDArray l = copyIn(req.latents(), call, "latents", DataType.FLOAT32);
        long bad = Finite.countNonFinite(l);
        if (bad > 0) {
            throw new GenerationRequestException("latents", "holds " + bad + " NaN/Inf values; initial noise must be finite");
        }
        if (!l.getShape().equals(shape)) {
            throw new GenerationRequestException("latents", "has shape " + l.getShape() + "; this request needs "
                    + shape + " (prompts x images per prompt, latent channels, height/" + vaeScaleFactor()
                    + ", width/" + vaeScaleFactor() + ")");
        }
        return l;
    }

    /** A {@code type} copy of a caller's array in {@code call} on the pipeline's device; the caller's stays as is. */
    private static NDArray copyIn(NDArray a, NDManager call, String field, DataType type) {
        if (a.getDataType() != DataType.FLOAT32 && a.getDataType() != DataType.FLOAT16
                && a.getDataType() != DataType.FLOAT64) {
            throw new GenerationRequestException(field, "has dtype " + a.getDataType() + "; expected floats");
        }
        NDArray c = a.getDevice().equals(call.getDevice()) ? a.duplicate() : a.toDevice(call.getDevice(), true);
        c.attach(call);
        return cast(c, type);
    }

    private static NDArray cast(NDArray a, DataType type) {
        return a.getDataType() == type ? a : a.toType(type, false);
    }

    /** Frees the weights and the tokenizer (for {@link #of}: only what this pipeline made). */
    @Override
    public void close() {
        lock.close(() -> {
            if (ownsComponents) {
                tokenizer.close();
                unet.close();
            }
            manager.close();
        });
    }
}
