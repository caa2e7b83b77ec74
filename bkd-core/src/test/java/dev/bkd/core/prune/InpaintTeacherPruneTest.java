package dev.bkd.core.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning the tiny 9-channel inpainting pipeline (reference set img2img, models_inpaint) to BK-SDM tiny keeps
 * in_channels 9 and conv_in's teacher weights, keeps the folder an inpainting pipeline, and the student runs on
 * the reference's 9-channel UNet input.
 */
class InpaintTeacherPruneTest {

    @Test
    void tinyStudentOfAnInpaintingTeacherKeepsNineInputChannels(@TempDir Path tmp) throws Exception {
        Path teacher = RefData.file("img2img", "models_inpaint");
        Path out = tmp.resolve("student");
        Pruner.prune(teacher, PruneSpec.builtIn("tiny"), out, false);

        UNet2DConditionConfig cfg = UNet2DConditionConfig.read(out.resolve("unet/config.json"));
        assertEquals(9, cfg.inChannels());
        assertEquals(4, cfg.outChannels());
        assertEquals("StableDiffusionInpaintPipeline", ModelIndex.read(out.resolve("model_index.json")).className());
        String weights = UNet2DConditionModel.WEIGHTS_NAME;
        try (SafetensorsFile s = SafetensorsFile.open(out.resolve("unet").resolve(weights));
                SafetensorsFile t = SafetensorsFile.open(teacher.resolve("unet").resolve(weights))) {
            assertEquals(new Shape(16, 9, 3, 3), s.entry("conv_in.weight").shape());
            assertEquals(t.rawBytes("conv_in.weight"), s.rawBytes("conv_in.weight"), "conv_in copied bit for bit");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = RefData.load(RefData.file("img2img", "ref/img2img.safetensors"), m);
            UNet2DConditionModel student = UNet2DConditionModel.fromPretrained(out.resolve("unet"), m,
                    new UNet2DConditionModel.Options(m.getDevice(), DataType.FLOAT32, null));
            NDArray y = student.forward(ref.get("unet9.sample"), ref.get("unet9.timestep"),
                    ref.get("unet9.encoder_hidden_states"));
            assertEquals(new Shape(2, 4, 8, 8), y.getShape());
            assertTrue(Float.isFinite(y.abs().sum().getFloat()));
            student.close();
        }
    }
}
