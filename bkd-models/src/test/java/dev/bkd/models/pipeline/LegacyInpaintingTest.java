package dev.bkd.models.pipeline;

import static dev.bkd.models.pipeline.ImageConditioningReferenceTest.png;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.models.schedulers.Scheduler;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Legacy inpainting with the 4-channel tiny UNet (diffusers' StableDiffusionInpaintPipeline blend): after every
 * step but the last, the kept latents equal the image latents noised to the next timestep with the start noise,
 * checked against sqrt(acp) x0 + sqrt(1 - acp) n with acp from the scaled-linear betas computed here in double;
 * and the model-type checks.
 */
class LegacyInpaintingTest extends Img2ImgReferenceBase {

    private static GenerationRequest.Builder request() {
        return GenerationRequest.builder()
                .promptEmbeds(ref.get("inpaint.prompt_embeds"))
                .negativePromptEmbeds(ref.get("inpaint.negative_prompt_embeds"))
                .steps(8).guidanceScale(7.5).size(64, 64)
                .initImage(png("inpaint_image.png")).mask(png("inpaint_mask.png"))
                .imageNoise(ref.get("inpaint.noise.vae_sample_masked"))
                .latents(ref.get("inpaint.noise.latents"))
                .maskedImageNoise(ref.get("inpaint.noise.vae_sample_masked"));
    }

    @Test
    void keptRegionIsTheNoisedImageAfterEveryStep() {
        GenerationRequest req = request().legacyInpainting(true).strength(0.75).build();
        try (NDManager call = manager.newSubManager(); Scheduler s = pipe.newScheduler("ddim")) {
            ImageConditioning cond = new ImageConditioning(pipe.vae(), 4, DataType.FLOAT32);
            DenoisingStart start = cond.prepare(req, s, 1, 64, 64, null, call);
            assertNull(start.unetExtra());
            float[] ts = start.timesteps();
            assertEquals(6, ts.length, "int(8 x 0.75) steps");
            NDArray x0 = ref.get("inpaint.image_latent_mean").add(ref.get("inpaint.image_latent_std")
                    .mul(ref.get("inpaint.noise.vae_sample_masked"))).mul(0.18215f).toType(DataType.FLOAT64, false);
            NDArray noise = ref.get("inpaint.noise.latents").toType(DataType.FLOAT64, false);
            float[] mask = ImageConditioning.nearest(
                    dev.bkd.models.image.ImageProcessor.mask(png("inpaint_mask.png"), 64, 64,
                            dev.bkd.models.image.ResizeMode.DEFAULT), 64, 64, 8);
            NDArray keep = manager.create(mask).reshape(1, 1, 8, 8).neg().add(1.0).toType(DataType.FLOAT64, false);

            List<NDArray> steps = new ArrayList<>();
            new DenoisingLoop(pipe.unet(), DataType.FLOAT32).run(req, s, start, pipe.encodePrompt(List.of(""), call)
                    .concat(pipe.encodePrompt(List.of(""), call), 0), null, call,
                    (i, latents) -> steps.add(latents.toType(DataType.FLOAT64, true)));
            for (int i = 0; i < ts.length - 1; i++) {
                double acp = dev.bkd.models.schedulers.ScaledLinear.alphaCumprod((int) ts[i + 1]);
                NDArray want = x0.mul(Math.sqrt(acp)).add(noise.mul(Math.sqrt(1 - acp))).mul(keep);
                double err = want.sub(steps.get(i).mul(keep)).abs().max().getDouble();
                assertTrue(err < 2e-5, "step " + i + ": kept latents differ from the noised image by " + err);
                double repainted = want.sub(steps.get(i)).abs().max().getDouble();
                assertTrue(repainted > 1e-2, "step " + i + ": the masked region was repainted");
            }
        }
    }

    /** Two images per prompt: one init image and mask serve the batch, each image gets its own added noise. */
    @Test
    void batchesShareTheImageAndDrawTheirOwnNoise() {
        for (boolean inpaint : new boolean[] {false, true}) {
            GenerationRequest.Builder b = GenerationRequest.builder("a red door").steps(4).seed(9).imagesPerPrompt(2)
                    .initImage(png("inpaint_image.png")).outputs(OutputType.ARRAY);
            if (inpaint) {
                b.mask(png("inpaint_mask.png")).legacyInpainting(true).strength(0.75).size(64, 64);
            }
            GenerationResult r = pipe.generate(b.build());
            NDArray img = r.image().toNDArray(manager);
            assertEquals(new ai.djl.ndarray.types.Shape(2, 64, 64, 3), img.getShape());
            double apart = img.get(0).sub(img.get(1)).abs().max().getFloat();
            assertTrue(apart > 1e-3, (inpaint ? "inpainting" : "img2img") + ": the two images are the same");
        }
    }

    @Test
    void modelTypeDecidesTheMode() {
        try (NDManager call = manager.newSubManager(); Scheduler s = pipe.newScheduler("ddim")) {
            GenerationRequestException noLegacy = assertThrows(GenerationRequestException.class,
                    () -> new ImageConditioning(pipe.vae(), 4, DataType.FLOAT32).prepare(request().build(), s, 1,
                            64, 64, null, call));
            assertEquals("mask", noLegacy.field());
            assertTrue(noLegacy.getMessage().contains("--legacy-inpaint"), noLegacy.getMessage());
            GenerationRequestException legacyOn9 = assertThrows(GenerationRequestException.class,
                    () -> new ImageConditioning(pipe.vae(), 9, DataType.FLOAT32).prepare(
                            request().legacyInpainting(true).build(), s, 1, 64, 64, null, call));
            assertEquals("legacyInpainting", legacyOn9.field());
            GenerationRequestException noMask = assertThrows(GenerationRequestException.class,
                    () -> new ImageConditioning(pipe.vae(), 9, DataType.FLOAT32).prepare(GenerationRequest.builder("x")
                            .initImage(png("inpaint_image.png")).build(), s, 1, 64, 64, null, call));
            assertEquals("mask", noMask.field());
            assertTrue(noMask.getMessage().contains("in_channels 9"), noMask.getMessage());
        }
    }
}
