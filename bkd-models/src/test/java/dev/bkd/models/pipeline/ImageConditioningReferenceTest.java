package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.image.ImageProcessor;
import dev.bkd.models.image.ResizeMode;
import dev.bkd.models.schedulers.Scheduler;
import dev.bkd.models.schedulers.StrengthSchedule;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The image-to-image start and loop against diffusers' StableDiffusionImg2ImgPipeline (reference set img2img:
 * 10 steps, CFG 7.5, injected VAE-sample and latent noise): preprocessing, the truncated timesteps, the init
 * latents after add_noise and the latents after every step, at strengths 0.6 and 0.3 with DDIM and Euler.
 */
class ImageConditioningReferenceTest extends Img2ImgReferenceBase {

    static BufferedImage png(String name) {
        try {
            return ImageIO.read(RefData.file("img2img", "images/" + name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The suggested latent tolerance: relative 1e-5 of the range, or 5e-4 absolute. */
    static void assertLatents(NDArray want, NDArray got, String what) {
        double err = RefData.maxAbsDiff(got, want);
        double tol = Math.max(5e-4, 1e-5 * want.abs().max().getFloat());
        assertTrue(err <= tol, what + ": max abs diff " + err + " > " + tol);
    }

    @Test
    void preprocessingMatchesVaeImageProcessor() {
        float[] got = ImageProcessor.preprocess(png("img2img_init.png"), 64, 64, ResizeMode.DEFAULT);
        assertArrayEquals(ref.get("img2img.init_tensor").toFloatArray(), got, 0f);
    }

    @ParameterizedTest
    @CsvSource({"ddim_s0.6, ddim, 0.6", "ddim_s0.3, ddim, 0.3", "euler_s0.6, euler, 0.6", "euler_s0.3, euler, 0.3"})
    void img2imgLatentsPerStepMatchDiffusers(String ca, String scheduler, double strength) {
        String p = "img2img." + ca + ".";
        GenerationRequest req = GenerationRequest.builder()
                .promptEmbeds(ref.get("img2img.prompt_embeds"))
                .negativePromptEmbeds(ref.get("img2img.negative_prompt_embeds"))
                .steps(10).guidanceScale(7.5).initImage(png("img2img_init.png")).strength(strength)
                .imageNoise(ref.get("img2img.noise.vae_sample")).latents(ref.get("img2img.noise.latents"))
                .build();
        try (NDManager call = manager.newSubManager(); Scheduler s = pipe.newScheduler(scheduler)) {
            ImageConditioning cond = new ImageConditioning(pipe.vae(), pipe.unet().config().inChannels(),
                    DataType.FLOAT32);
            int[] size = cond.size(req, new int[] {pipe.defaultWidth(), pipe.defaultHeight()});
            assertArrayEquals(new int[] {64, 64}, size, "the image's size, not the model's 128");
            DenoisingStart start = cond.prepare(req, s, 1, size[0], size[1], null, call);
            float[] want = ref.get(p + "timesteps").toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(want, start.timesteps(), 1e-4f, "timesteps run");
            assertLatents(ref.get(p + "latents_start"), start.latents(), "latents after add_noise");

            NDArray context = ref.get("img2img.negative_prompt_embeds").concat(ref.get("img2img.prompt_embeds"), 0);
            List<NDArray> steps = new ArrayList<>();
            NDArray out = new DenoisingLoop(pipe.unet(), DataType.FLOAT32).run(req, s, start, context, null, call,
                    (i, latents) -> steps.add(latents.duplicate()));
            assertEquals(want.length, steps.size());
            for (int i = 0; i < steps.size(); i++) {
                assertLatents(ref.get(p + "step" + i + ".prev_sample"), steps.get(i), ca + " step " + i);
            }
            assertLatents(ref.get(p + "latents_out"), out, ca + " latents_out");
        }
    }

    /** The whole call through {@link DiffusionPipeline#generate}: image_np to 1e-4, PNG pixels to +-1. */
    @ParameterizedTest
    @CsvSource({"ddim_s0.6, ddim, 0.6", "ddim_s0.3, ddim, 0.3", "euler_s0.6, euler, 0.6", "euler_s0.3, euler, 0.3"})
    void img2imgImagesMatchDiffusers(String ca, String scheduler, double strength) {
        String p = "img2img." + ca + ".";
        GenerationRequest req = GenerationRequest.builder("a yellow sun over green hills, flat colours")
                .negativePrompt("blurry, dark, noisy").steps(10).guidanceScale(7.5).scheduler(scheduler)
                .initImage(png("img2img_init.png")).strength(strength)
                .imageNoise(ref.get("img2img.noise.vae_sample")).latents(ref.get("img2img.noise.latents"))
                .outputs(OutputType.IMAGES, OutputType.ARRAY, OutputType.LATENTS).build();
        GenerationResult r = pipe.generate(req);
        assertEquals(64, r.parameters().get(0).width(), "the init image's size");
        assertLatents(ref.get(p + "latents_out"), r.latents().toNDArray(manager), ca + " latents_out");
        double err = RefData.maxAbsDiff(r.image().toNDArray(manager), ref.get(p + "image_np"));
        System.out.printf("img2img %-10s worst |image - diffusers| = %.3g%n", ca, err);
        assertTrue(err <= 1e-4, ca + ": image_np max abs diff " + err);
        assertPixels(ref.get(p + "image_u8"), r.images().get(0), ca);
    }

    /**
     * No injected noise: --seed 6101 with torch's CPU generator draws the VAE sample and then the added noise as
     * diffusers does, so the image equals the reference (which is also a plain run with manual_seed(6101)).
     */
    @ParameterizedTest
    @CsvSource({"ddim_s0.6, ddim, 0.6", "ddim_s0.3, ddim, 0.3", "euler_s0.6, euler, 0.6", "euler_s0.3, euler, 0.3"})
    void seed6101GivesDiffusersImage(String ca, String scheduler, double strength) {
        GenerationResult r = pipe.generate(GenerationRequest.builder("a yellow sun over green hills, flat colours")
                .negativePrompt("blurry, dark, noisy").steps(10).guidanceScale(7.5).scheduler(scheduler)
                .initImage(png("img2img_init.png")).strength(strength).seed(6101).rng(Rng.TORCH)
                .outputs(OutputType.IMAGES, OutputType.ARRAY).build());
        double err = RefData.maxAbsDiff(r.image().toNDArray(manager), ref.get("img2img." + ca + ".image_np"));
        assertTrue(err <= 1e-4, ca + " seeded: image_np max abs diff " + err);
        assertPixels(ref.get("img2img." + ca + ".image_u8"), r.images().get(0), ca + " seeded");
    }

    /**
     * One seed per image (diffusers' list of generators): each image draws its own VAE sample and then its noise
     * row, so two images seeded 6101 are both the reference image.
     */
    @org.junit.jupiter.api.Test
    void perImageSeedsGiveEachImageItsOwnSample() {
        GenerationResult r = pipe.generate(GenerationRequest.builder("a yellow sun over green hills, flat colours")
                .negativePrompt("blurry, dark, noisy").steps(10).guidanceScale(7.5).scheduler("ddim")
                .initImage(png("img2img_init.png")).strength(0.6).imagesPerPrompt(2)
                .seeds(java.util.List.of(6101L, 6101L)).rng(Rng.TORCH).outputs(OutputType.ARRAY).build());
        NDArray img = r.image().toNDArray(manager);
        for (int i = 0; i < 2; i++) {
            double err = RefData.maxAbsDiff(img.get(i).expandDims(0), ref.get("img2img.ddim_s0.6.image_np"));
            assertTrue(err <= 1e-4, "image " + i + " of seeds [6101, 6101]: max abs diff " + err);
        }
    }

    /** PNG pixels within +-1 of diffusers' uint8 image (H, W, 3). */
    static void assertPixels(NDArray wantU8, BufferedImage got, String what) {
        byte[] want = wantU8.toByteArray();
        int w = got.getWidth();
        for (int i = 0; i < want.length; i += 3) {
            int rgb = got.getRGB((i / 3) % w, (i / 3) / w);
            int[] g = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
            for (int c = 0; c < 3; c++) {
                assertTrue(Math.abs((want[i + c] & 0xff) - g[c]) <= 1, what + ": pixel " + i / 3 + " channel " + c);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"ddim, 0.6, 6, 4, false", "ddim, 0.3, 3, 7, false", "euler, 0.6, 6, 4, true",
            "euler, 0.3, 3, 7, true", "pndm, 0.6, 6, 4, false"})
    void strengthTruncatesLikeGetTimesteps(String scheduler, double strength, int init, int tStart, boolean begin) {
        try (Scheduler s = pipe.newScheduler(scheduler)) {
            StrengthSchedule w = StrengthSchedule.apply(s, 10, strength);
            assertEquals(init, w.initTimestep());
            assertEquals(tStart, w.tStart());
            assertEquals(begin, w.beginIndexSet());
            float[] all = s.timesteps();
            assertEquals(all.length - tStart, w.timesteps().length, "timesteps[t_start:] of " + all.length);
            assertEquals(all[tStart], w.latentTimestep());
        }
    }
}
