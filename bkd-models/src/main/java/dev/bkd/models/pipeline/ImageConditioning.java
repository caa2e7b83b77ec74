package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.NoiseSource;
import dev.bkd.core.random.PerImageNoise;
import dev.bkd.models.image.ImageProcessor;
import dev.bkd.models.schedulers.Scheduler;
import dev.bkd.models.schedulers.StrengthSchedule;
import dev.bkd.models.vae.AutoencoderKL;
import dev.bkd.models.vae.DiagonalGaussianDistribution;

/**
 * The start of image-to-image and inpainting runs, as diffusers' StableDiffusionImg2ImgPipeline and
 * StableDiffusionInpaintPipeline prepare it: the truncated schedule ({@link StrengthSchedule}), the init image's
 * VAE posterior <b>sample</b> (not its mean) times the scaling factor, noised to the first timestep; for
 * inpainting also the binarised mask at latent size (nearest: the top-left pixel of every 8x8 block) and the
 * masked image's latents.
 *
 * <p>Random draws happen in diffusers' order, each either injected ({@link ImageInput#imageNoise},
 * {@link GenerationRequest#latents}, {@link ImageInput#maskedImageNoise}) or drawn from the generator:
 * image-to-image: init-image sample (1, 4, h, w), then the added noise (B, 4, h, w); inpainting: the init-image
 * sample (only for strength &lt; 1 or a 4-channel UNet), the latent noise, the masked-image sample. One init
 * image is encoded once and repeated over the batch, as diffusers does with a single generator.
 */
final class ImageConditioning {
    private final AutoencoderKL vae;
    private final int unetInChannels;
    private final DataType modelType;

    ImageConditioning(AutoencoderKL vae, int unetInChannels, DataType modelType) {
        this.vae = vae;
        this.unetInChannels = unetInChannels;
        this.modelType = modelType;
    }

    /** Whether a UNet with {@code inChannels} is an inpainting UNet for a VAE with {@code latentChannels}. */
    static boolean isInpaintingUnet(int inChannels, int latentChannels) {
        return inChannels == 2 * latentChannels + 1;
    }

    /**
     * The output size: the request's, else diffusers' default: the init image's size floored to multiples of
     * the VAE scale factor for image-to-image, the model's default ({@code modelDefault}) for inpainting.
     */
    int[] size(GenerationRequest req, int[] modelDefault) {
        ImageInput in = req.imageInput();
        int[] d = in.inpainting() ? modelDefault
                : ImageProcessor.defaultSize(in.image(), vae.config().downscaleFactor());
        return new int[] {req.width() != null ? req.width() : d[0], req.height() != null ? req.height() : d[1]};
    }

    /** Checks the request against the UNet and builds the start of the loop in {@code call}. */
    DenoisingStart prepare(GenerationRequest req, Scheduler scheduler, int batch, int width, int height,
            NoiseSource generator, NDManager call) {
        ImageInput in = req.imageInput();
        int c = vae.config().latentChannels();
        boolean inpaintUnet = isInpaintingUnet(unetInChannels, c);
        checkModel(in, inpaintUnet, c);
        int f = vae.config().downscaleFactor();
        // the VAE samples: one draw for the image, repeated over the batch, as diffusers does with one generator.
        // With one generator per image (per-image seeds) diffusers' img2img gives each image its own sample, while
        // its inpainting encodes the single image (and masked image) with generator[0] only
        boolean perImage = generator instanceof PerImageNoise;
        Shape one = new Shape(1, c, height / f, width / f);
        Shape img2imgSample = new Shape(perImage ? batch : 1, c, height / f, width / f);
        NoiseSource inpaintVae = perImage ? ((PerImageNoise) generator).source(0) : generator;
        Shape shape = new Shape(batch, c, height / f, width / f);
        double strength = in.effectiveStrength();
        StrengthSchedule window = StrengthSchedule.apply(scheduler, req.steps(), strength);
        NDArray image = call.create(ImageProcessor.preprocess(in.image(), width, height, in.resizeMode()),
                new Shape(1, 3, height, width));
        NDArray timestep = DenoisingLoop.timestepArray(call, window.latentTimestep(), batch);

        if (!in.inpainting()) {
            NDArray imageLatents = encodeSample(image, draw(in.imageNoise(), img2imgSample, "imageNoise", generator,
                    call));
            NDArray noise = draw(req.latents(), shape, "latents", generator, call);
            NDArray latents = scheduler.addNoise(repeat(imageLatents, batch), noise, timestep);
            return new DenoisingStart(latents, window.timesteps(), null, null);
        }
        // diffusers' is_strength_max: pure noise (times init sigma) instead of the noised image
        boolean fromNoise = strength == 1.0;
        NDArray imageLatents = !inpaintUnet || !fromNoise
                ? repeat(encodeSample(image, draw(in.imageNoise(), one, "imageNoise", inpaintVae, call)), batch)
                : null;
        NDArray noise = draw(req.latents(), shape, "latents", generator, call);
        NDArray latents = fromNoise ? noise.mul(scheduler.initNoiseSigma())
                : scheduler.addNoise(imageLatents, noise, timestep);
        NDArray maskedNoise = draw(in.maskedImageNoise(), one, "maskedImageNoise", inpaintVae, call);

        float[] mask = ImageProcessor.mask(in.mask(), width, height, in.resizeMode());
        NDArray maskLatent = repeat(call.create(nearest(mask, width, height, f), new Shape(1, 1, height / f,
                width / f)), batch);
        if (!inpaintUnet) {
            return new DenoisingStart(latents, window.timesteps(), null,
                    new DenoisingStart.LegacyBlend(imageLatents, maskLatent, noise));
        }
        NDArray keep = call.create(mask, new Shape(1, 1, height, width)).lt(0.5f).toType(DataType.FLOAT32, false);
        NDArray maskedLatents = repeat(encodeSample(image.mul(keep), maskedNoise), batch);
        NDArray extra = maskLatent.concat(maskedLatents, 1);
        if (req.doClassifierFreeGuidance()) {
            extra = extra.concat(extra, 0);
        }
        return new DenoisingStart(latents, window.timesteps(), extra, null);
    }

    private static void checkModel(ImageInput in, boolean inpaintUnet, int latentChannels) {
        if (in.inpainting() && inpaintUnet && in.legacyInpainting()) {
            throw new GenerationRequestException("legacyInpainting", "is for 4-channel UNets; this model's UNet is"
                    + " an inpainting UNet (in_channels " + (2 * latentChannels + 1) + "): drop --legacy-inpaint");
        }
        if (in.inpainting() && !inpaintUnet && !in.legacyInpainting()) {
            throw new GenerationRequestException("mask", "is given but this model is not an inpainting model (unet"
                    + " in_channels " + latentChannels + ", not " + (2 * latentChannels + 1) + "): use an inpainting"
                    + " model, or legacy inpainting (--legacy-inpaint / legacyInpainting(true)), which blends the"
                    + " kept region back after every step");
        }
        if (!in.inpainting() && inpaintUnet) {
            throw new GenerationRequestException("mask", "is missing: this is an inpainting model (unet in_channels "
                    + (2 * latentChannels + 1) + "); give a mask (--mask FILE, white = repaint)");
        }
    }

    /**
     * scaling_factor x (mean + std n) of the VAE posterior of {@code image} (1, 3, H, W), float32 in the call; a
     * noise batch of N gives N samples of the one posterior.
     */
    private NDArray encodeSample(NDArray image, NDArray noise) {
        NDManager call = image.getManager();
        try (NDManager m = call.newSubManager()) {
            NDArray x = DenoisingLoop.cast(image, modelType).duplicate();
            x.attach(m);
            DiagonalGaussianDistribution posterior = vae.encode(x);
            NDArray sample = noise.getShape().get(0) == 1 ? posterior.sample(noise)
                    : posterior.mean().add(posterior.std().mul(noise.toType(posterior.mean().getDataType(), false)));
            NDArray z = DenoisingLoop.cast(sample.mul((float) vae.scalingFactor()), DataType.FLOAT32);
            z.attach(call);
            return z;
        }
    }

    /** The injected draw (checked and copied) or a new one from the generator. */
    private static NDArray draw(NDArray injected, Shape shape, String field, NoiseSource generator, NDManager call) {
        if (injected == null) {
            return generator.randn(call, shape);
        }
        if (!injected.getShape().equals(shape)) {
            throw new GenerationRequestException(field, "has shape " + injected.getShape() + "; this request needs "
                    + shape);
        }
        // a copy owned by the call: the caller's array is neither moved nor closed
        NDArray c = injected.getDevice().equals(call.getDevice()) ? injected.duplicate()
                : injected.toDevice(call.getDevice(), true);
        c.attach(call);
        return DenoisingLoop.cast(c, DataType.FLOAT32);
    }

    private static NDArray repeat(NDArray a, int batch) {
        return a.getShape().get(0) == batch ? a : a.repeat(0, batch);
    }

    /** torch.nn.functional.interpolate(mode="nearest") to 1/f: source index floor(i f) = i f. */
    static float[] nearest(float[] mask, int width, int height, int f) {
        int w = width / f;
        int h = height / f;
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[y * w + x] = mask[y * f * width + x * f];
            }
        }
        return out;
    }
}
