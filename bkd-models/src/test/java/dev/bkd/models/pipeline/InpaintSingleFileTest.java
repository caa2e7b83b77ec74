package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.singlefile.SingleFileException;
import dev.bkd.core.testing.RefData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inpainting models as single files: the tiny 9-channel pipeline exported to the LDM layout loads back as an
 * inpainting model and still gives diffusers' image for seed 6211; a file whose first UNet conv takes 9 channels
 * is inferred as SD1.x/SD2.x inpainting and its configs looked up in diffusers' inpainting repositories.
 */
class InpaintSingleFileTest {
    @TempDir
    Path tmp;

    @Test
    void exportedInpaintingModelLoadsBackAndInpaintsLikeDiffusers() {
        Path folder = RefData.file("img2img", "models_inpaint");
        Path file = tmp.resolve("inpaint-tiny.safetensors");
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(folder, PipelineOptions.defaults())) {
            SingleFileExport.write(p, file);
        }
        PipelineOptions opts = PipelineOptions.defaults().withSingleFile(SingleFileOptions.defaults()
                .withConfig(folder));
        try (NDManager m = NDManager.newBaseManager();
                DiffusionPipeline p = DiffusionPipeline.fromSingleFile(file, opts)) {
            assertEquals(9, p.unet().config().inChannels());
            Map<String, NDArray> ref = RefData.load(RefData.file("img2img", "ref/img2img.safetensors"), m);
            GenerationResult r = p.generate(GenerationRequest.builder("a red door in a white wall")
                    .negativePrompt("low quality").steps(8).guidanceScale(7.5).size(64, 64).scheduler("ddim")
                    .initImage(ImageConditioningReferenceTest.png("inpaint_image.png"))
                    .mask(ImageConditioningReferenceTest.png("inpaint_mask.png")).seed(6211).rng(Rng.TORCH)
                    .outputs(OutputType.ARRAY).build());
            double err = RefData.maxAbsDiff(r.image().toNDArray(m), ref.get("inpaint.ddim.image_np"));
            assertTrue(err <= 1e-4, "single-file inpainting: image_np max abs diff " + err);
        }
    }

    @Test
    void nineInputChannelsAreInferredAsInpainting() {
        HubCache empty = HubCache.at(tmp.resolve("empty-hub"));
        try (NDManager m = NDManager.newBaseManager()) {
            for (int width : new int[] {768, 1024}) {
                Path f = tmp.resolve("inpaint" + width + ".safetensors");
                SafetensorsWriter.write(f, Map.of(
                        "model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight",
                        m.zeros(new Shape(2, width)),
                        "model.diffusion_model.input_blocks.0.0.weight", m.zeros(new Shape(2, 9, 3, 3))));
                SingleFileException e = assertThrows(SingleFileException.class,
                        () -> DiffusionPipeline.fromSingleFile(f, PipelineOptions.defaults(), empty));
                String repo = width == 768 ? "stable-diffusion-v1-5/stable-diffusion-inpainting"
                        : "stabilityai/stable-diffusion-2-inpainting";
                assertTrue(e.getMessage().contains(width == 768 ? "SD1.x inpainting" : "SD2.x inpainting")
                        && e.getMessage().contains(repo), e.getMessage());
            }
        }
    }
}
