package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import dev.bkd.models.prompt.PromptSyntax;
import dev.bkd.models.image.ResizeMode;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * One text-to-image call, with diffusers' StableDiffusionPipeline arguments and defaults (50 steps, guidance
 * 7.5, one image per prompt, size from the model). Arrays given here (latents, embeddings) stay the caller's:
 * the pipeline copies them and never closes them. Build with {@link #builder(String...)}.
 */
public final class GenerationRequest {
    private final List<String> prompts;
    private final List<String> negativePrompts;
    private final int steps;
    private final double guidanceScale;
    private final Integer width;
    private final Integer height;
    private final Long seed;
    private final int imagesPerPrompt;
    private final NDArray latents;
    private final NDArray promptEmbeds;
    private final NDArray negativePromptEmbeds;
    private final String scheduler;
    private final Set<OutputType> outputs;
    private final ProgressListener progress;
    private final BooleanSupplier cancel;
    private final PromptSyntax promptSyntax;
    private final int clipSkip;
    private final Rng rng;
    private final List<Long> seeds;
    private final ImageInput imageInput;

    private GenerationRequest(Builder b) {
        prompts = List.copyOf(b.prompts);
        negativePrompts = List.copyOf(b.negativePrompts);
        steps = b.steps;
        guidanceScale = b.guidanceScale;
        width = b.width;
        height = b.height;
        seed = b.seed;
        imagesPerPrompt = b.imagesPerPrompt;
        latents = b.latents;
        promptEmbeds = b.promptEmbeds;
        negativePromptEmbeds = b.negativePromptEmbeds;
        scheduler = b.scheduler;
        outputs = b.outputs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(b.outputs));
        progress = b.progress;
        cancel = b.cancel;
        imageInput = b.initImage == null ? null : new ImageInput(b.initImage, b.mask, b.strength, b.resizeMode,
                b.legacyInpainting, b.imageNoise, b.maskedImageNoise);
        promptSyntax = b.promptSyntax;
        clipSkip = b.clipSkip;
        rng = b.rng;
        seeds = List.copyOf(b.seeds);
    }

    /** How prompt text becomes conditioning; {@link PromptSyntax#PLAIN} (diffusers) unless set. */
    public PromptSyntax promptSyntax() {
        return promptSyntax;
    }

    /** A1111's CLIP skip: 1 (the default) = last layer, 2 = penultimate layer + final layer norm. */
    public int clipSkip() {
        return clipSkip;
    }

    /** The generator the seed starts; {@link Rng#TORCH} (torch-identical noise) unless set. */
    public Rng rng() {
        return rng;
    }

    /** One seed per image (diffusers' list of generators); empty when {@link #seed()} seeds the whole batch. */
    public List<Long> seeds() {
        return seeds;
    }

    /** A request for {@code prompts} (one image each unless {@link Builder#imagesPerPrompt}). */
    public static Builder builder(String... prompts) {
        return new Builder().prompts(List.of(prompts));
    }

    public List<String> prompts() {
        return prompts;
    }

    /** Empty: "" for every prompt. */
    public List<String> negativePrompts() {
        return negativePrompts;
    }

    public int steps() {
        return steps;
    }

    public double guidanceScale() {
        return guidanceScale;
    }

    /** Whether the unconditional half runs: guidance scale above 1, like diffusers. */
    public boolean doClassifierFreeGuidance() {
        return guidanceScale > 1.0;
    }

    /** Null: the model's default (unet sample_size x vae scale factor). */
    public Integer width() {
        return width;
    }

    public Integer height() {
        return height;
    }

    /** Null: a random seed, reported in the result. */
    public Long seed() {
        return seed;
    }

    public int imagesPerPrompt() {
        return imagesPerPrompt;
    }

    public NDArray latents() {
        return latents;
    }

    public NDArray promptEmbeds() {
        return promptEmbeds;
    }

    public NDArray negativePromptEmbeds() {
        return negativePromptEmbeds;
    }

    /** Null: the pipeline's scheduler. */
    public String scheduler() {
        return scheduler;
    }

    public Set<OutputType> outputs() {
        return outputs;
    }

    public ProgressListener progress() {
        return progress;
    }

    public BooleanSupplier cancel() {
        return cancel;
    }

    /** Image-to-image / inpainting inputs; null for text-to-image. */
    public ImageInput imageInput() {
        return imageInput;
    }

    /** Collects a request; {@link #build()} checks what can be checked without the model. */
    public static final class Builder {
        private List<String> prompts = List.of();
        private List<String> negativePrompts = List.of();
        private int steps = 50;
        private double guidanceScale = 7.5;
        private Integer width;
        private Integer height;
        private Long seed;
        private int imagesPerPrompt = 1;
        private NDArray latents;
        private NDArray promptEmbeds;
        private NDArray negativePromptEmbeds;
        private String scheduler;
        private Set<OutputType> outputs = EnumSet.of(OutputType.IMAGES);
        private ProgressListener progress;
        private BooleanSupplier cancel = () -> false;
        private PromptSyntax promptSyntax = PromptSyntax.PLAIN;
        private int clipSkip = 1;
        private Rng rng = Rng.TORCH;
        private List<Long> seeds = List.of();
        private BufferedImage initImage;
        private BufferedImage mask;
        private Double strength;
        private ResizeMode resizeMode = ResizeMode.DEFAULT;
        private boolean legacyInpainting;
        private NDArray imageNoise;
        private NDArray maskedImageNoise;

        private Builder() {}

        public Builder prompts(List<String> p) {
            prompts = new ArrayList<>(p);
            return this;
        }

        /** One negative prompt for every prompt, or one per prompt. */
        public Builder negativePrompts(List<String> p) {
            negativePrompts = new ArrayList<>(p);
            return this;
        }

        public Builder negativePrompt(String p) {
            return negativePrompts(List.of(p));
        }

        public Builder steps(int n) {
            steps = n;
            return this;
        }

        public Builder guidanceScale(double g) {
            guidanceScale = g;
            return this;
        }

        /** Image size in pixels (multiples of 8). */
        public Builder size(int w, int h) {
            width = w;
            height = h;
            return this;
        }

        public Builder width(Integer w) {
            width = w;
            return this;
        }

        public Builder height(Integer h) {
            height = h;
            return this;
        }

        public Builder seed(Long s) {
            seed = s;
            return this;
        }

        public Builder seed(long s) {
            return seed(Long.valueOf(s));
        }

        public Builder imagesPerPrompt(int n) {
            imagesPerPrompt = n;
            return this;
        }

        /**
         * Initial noise (batch, latent_channels, height/8, width/8), batch = prompts x images per prompt; like
         * diffusers' {@code latents=} it is multiplied by the scheduler's init sigma.
         */
        public Builder latents(NDArray l) {
            latents = l;
            return this;
        }

        /** Text embeddings (prompts, tokens, cross_attention_dim) instead of prompts (diffusers' prompt_embeds). */
        public Builder promptEmbeds(NDArray e) {
            promptEmbeds = e;
            return this;
        }

        public Builder negativePromptEmbeds(NDArray e) {
            negativePromptEmbeds = e;
            return this;
        }

        /** A scheduler name for this call, built from the pipeline's scheduler config. */
        public Builder scheduler(String name) {
            scheduler = name;
            return this;
        }

        public Builder outputs(OutputType... types) {
            outputs = types.length == 0 ? EnumSet.noneOf(OutputType.class) : EnumSet.of(types[0], types);
            return this;
        }

        public Builder progress(ProgressListener p) {
            progress = p;
            return this;
        }

        /**
         * Image-to-image from {@code image} (diffusers' StableDiffusionImg2ImgPipeline): the image is VAE-encoded,
         * noised to the strength's first timestep and denoised from there. Without {@link #size} the output takes
         * the image's size floored to multiples of 8, as diffusers does; {@link #latents} is then the noise added.
         */
        public Builder initImage(BufferedImage image) {
            initImage = image;
            return this;
        }

        /** How much of the init image is repainted, in (0, 1]; default 0.8 (1.0 when inpainting). */
        public Builder strength(double s) {
            strength = s;
            return this;
        }

        /**
         * Inpainting (diffusers' StableDiffusionInpaintPipeline): white = repaint, black = keep; same size as the
         * init image. Needs a 9-channel inpainting UNet, or {@link #legacyInpainting} with a normal one. The
         * output size defaults to the model's, as in diffusers.
         */
        public Builder mask(BufferedImage m) {
            mask = m;
            return this;
        }

        /** Inpaint with a normal 4-channel UNet by blending the known region back after every step. */
        public Builder legacyInpainting(boolean on) {
            legacyInpainting = on;
            return this;
        }

        /** How an init image (and mask) of another size is fitted: stretched (default) or cropped. */
        public Builder resizeMode(ResizeMode m) {
            resizeMode = m == null ? ResizeMode.DEFAULT : m;
            return this;
        }

        /**
         * The standard-normal noise of the init image's VAE posterior sample, (1, 4, h, w), or (B, 4, h, w) with
         * one seed per image (else seeded).
         */
        public Builder imageNoise(NDArray n) {
            imageNoise = n;
            return this;
        }

        /** The standard-normal noise of the masked image's VAE posterior sample (inpainting; else seeded). */
        public Builder maskedImageNoise(NDArray n) {
            maskedImageNoise = n;
            return this;
        }

        /** Polled before every step; when it turns true, generate throws {@link GenerationCancelledException}. */
        public Builder cancel(BooleanSupplier c) {
            cancel = c == null ? () -> false : c;
            return this;
        }

        /**
         * {@link PromptSyntax#A1111} for A1111 weights, BREAK and prompts over 77 tokens; {@link PromptSyntax#PLAIN}
         * (the default) is diffusers' truncated, unweighted tokenization.
         */
        public Builder promptSyntax(PromptSyntax s) {
            promptSyntax = s == null ? PromptSyntax.PLAIN : s;
            return this;
        }

        /** A1111's "Clip skip" (diffusers' {@code clip_skip = n - 1}); applies to both prompt syntaxes. */
        public Builder clipSkip(int n) {
            clipSkip = n;
            return this;
        }

        /**
         * One seed per image, in batch order (prompt 0's images first): like diffusers'
         * {@code generator=[torch.Generator("cpu").manual_seed(s) for s in seeds]}, image i is the one seed i alone
         * gives. Instead of {@link #seed(long)}.
         */
        public Builder seeds(List<Long> s) {
            seeds = s == null ? List.of() : new ArrayList<>(s);
            return this;
        }

        /** {@link Rng#TORCH} (default) or {@link Rng#BKD}. */
        public Builder rng(Rng r) {
            rng = r == null ? Rng.TORCH : r;
            return this;
        }

        public GenerationRequest build() {
            if (prompts.isEmpty() == (promptEmbeds == null)) {
                throw new GenerationRequestException("prompts", prompts.isEmpty()
                        ? "is empty: give prompts or prompt embeddings"
                        : "and `promptEmbeds` are both given: give one of them (like diffusers)");
            }
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i) == null) {
                    throw new GenerationRequestException("prompts", "entry " + i + " is null");
                }
            }
            for (int i = 0; i < negativePrompts.size(); i++) {
                if (negativePrompts.get(i) == null) {
                    throw new GenerationRequestException("negativePrompts", "entry " + i + " is null");
                }
            }
            int n = promptEmbeds == null ? prompts.size() : -1;
            if (n > 0 && negativePrompts.size() > 1 && negativePrompts.size() != n) {
                throw new GenerationRequestException("negativePrompts", "has " + negativePrompts.size()
                        + " entries for " + n + " prompts: give one for all or one per prompt");
            }
            if (!negativePrompts.isEmpty() && negativePromptEmbeds != null) {
                throw new GenerationRequestException("negativePrompts", "and `negativePromptEmbeds` are both given:"
                        + " give one of them");
            }
            if (steps < 1) {
                throw new GenerationRequestException("steps", "= " + steps + ": must be at least 1");
            }
            if (!Double.isFinite(guidanceScale)) {
                throw new GenerationRequestException("guidanceScale", "= " + guidanceScale + ": must be a finite number");
            }
            checkSize("width", width);
            checkSize("height", height);
            if (imagesPerPrompt < 1) {
                throw new GenerationRequestException("imagesPerPrompt", "= " + imagesPerPrompt + ": must be at least 1");
            }
            if (!seeds.isEmpty() && seed != null) {
                throw new GenerationRequestException("seeds", "and `seed` are both given: give one of them");
            }
            if (seeds.stream().anyMatch(java.util.Objects::isNull)) {
                throw new GenerationRequestException("seeds", "has a null entry");
            }
            if (clipSkip < 1) {
                throw new GenerationRequestException("clipSkip", "= " + clipSkip
                        + ": must be at least 1 (1 = last layer, 2 = penultimate, A1111 numbering)");
            }
            if (outputs.isEmpty()) {
                throw new GenerationRequestException("outputs", "is empty: ask for IMAGES, ARRAY and/or LATENTS");
            }
            checkImageInput();
            return new GenerationRequest(this);
        }

        private void checkImageInput() {
            if (initImage == null) {
                String stray = mask != null ? "mask" : strength != null ? "strength" : legacyInpainting
                        ? "legacyInpainting" : imageNoise != null ? "imageNoise" : maskedImageNoise != null
                        ? "maskedImageNoise" : null;
                if (stray != null) {
                    throw new GenerationRequestException(stray, "needs an init image (`initImage`, --init-image)");
                }
                return;
            }
            if (strength != null && !(strength > 0 && strength <= 1)) {
                throw new GenerationRequestException("strength", "= " + strength + ": must be in (0, 1] (1 repaints"
                        + " from pure noise, smaller values keep more of the init image)");
            }
            if (mask != null
                    && (mask.getWidth() != initImage.getWidth() || mask.getHeight() != initImage.getHeight())) {
                throw new GenerationRequestException("mask", "is " + mask.getWidth() + "x" + mask.getHeight()
                        + " pixels but the init image is " + initImage.getWidth() + "x" + initImage.getHeight()
                        + "; give a mask of the image's size");
            }
            if (mask == null && (legacyInpainting || maskedImageNoise != null)) {
                throw new GenerationRequestException(legacyInpainting ? "legacyInpainting" : "maskedImageNoise",
                        "is for inpainting and needs a `mask` (--mask)");
            }
        }

        private static void checkSize(String field, Integer v) {
            if (v != null && (v <= 0 || v % 8 != 0)) {
                throw new GenerationRequestException(field, "= " + v + ": must be a positive multiple of 8");
            }
        }
    }
}
