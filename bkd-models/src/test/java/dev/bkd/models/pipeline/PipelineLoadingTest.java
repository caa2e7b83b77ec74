package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What fromPretrained accepts and refuses: variants, dtypes, devices, model_index.json contents. */
class PipelineLoadingTest {
    @TempDir
    Path tmp;

    /** A copy of the reference pipeline made of symlinks, file names mapped by {@code rename}. */
    private Path linkedCopy(UnaryOperator<String> rename) throws IOException {
        Path models = RefData.models();
        Path dst = tmp.resolve("pipe");
        List<Path> files;
        try (Stream<Path> s = Files.walk(models)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            Path rel = models.relativize(f);
            Path link = dst.resolve(rel.getParent() == null ? rename.apply(rel.toString())
                    : rel.getParent().resolve(rename.apply(rel.getFileName().toString())).toString());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, f.toAbsolutePath());
        }
        return dst;
    }

    private static float[] ddimImage(DiffusionPipeline pipe, NDArray latents) {
        return pipe.generate(GenerationRequest.builder("a photo of an astronaut riding a horse on mars").steps(5)
                .scheduler("ddim").latents(latents).outputs(OutputType.ARRAY).build()).image().data();
    }

    @Test
    void variantPicksTheVariantFiles() throws IOException {
        Path pipe = linkedCopy(n -> n.endsWith(".safetensors") ? n.replace(".safetensors", ".fp16.safetensors") : n);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = RefData.load(RefData.ref("pipeline.safetensors"), m);
            try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(pipe, PipelineOptions.defaults()
                    .withVariant("fp16"))) {
                NDArray want = ref.get("ddim.image_np");
                double err = RefData.maxAbsDiff(m.create(ddimImage(p, ref.get("ddim.latents_in")), want.getShape()), want);
                assertTrue(err <= 1e-3, "variant files give the reference image: " + err);
            }
        }
        BkdException noDefault = assertThrows(BkdException.class,
                () -> DiffusionPipeline.fromPretrained(pipe, PipelineOptions.defaults()));
        assertTrue(noDefault.getMessage().contains("model.safetensors"), noDefault.getMessage());
    }

    @Test
    void fp16RunsAndStaysCloseToFp32() {
        try (NDManager m = NDManager.newBaseManager();
                DiffusionPipeline half = DiffusionPipeline.fromPretrained(RefData.models(),
                        PipelineOptions.defaults().withDtype(DataType.FLOAT16))) {
            Map<String, NDArray> ref = RefData.load(RefData.ref("pipeline.safetensors"), m);
            assertEquals(DataType.FLOAT16, dev.bkd.core.weights.Weights.stateDict(half.unet()).get("conv_in.weight").getDataType());
            long t0 = System.nanoTime();
            float[] got = ddimImage(half, ref.get("ddim.latents_in"));
            NDArray want = ref.get("ddim.image_np");
            double err = RefData.maxAbsDiff(m.create(got, want.getShape()), want);
            System.out.printf("fp16 on CPU: worst |image - diffusers fp32| = %.3g (%.1f s)%n", err,
                    (System.nanoTime() - t0) / 1e9);
            // fp16 keeps ~3 decimal digits; 5 guided steps (x7.5 on the eps difference) and the decoder amplify that
            assertTrue(err <= 0.02, "fp16 image error " + err);
        }
    }

    @Test
    void unsupportedFoldersAreRefusedByName() throws IOException {
        Path pipe = linkedCopy(n -> n);
        Path index = pipe.resolve("model_index.json");
        String original = Files.readString(index);
        Files.delete(index);

        Files.writeString(index, original.replace("\"vae\": [\"diffusers\", \"AutoencoderKL\"]", "\"vae\": [null, null]"));
        ConfigException noVae = assertThrows(ConfigException.class,
                () -> DiffusionPipeline.fromPretrained(pipe, PipelineOptions.defaults()));
        assertTrue(noVae.getMessage().contains("component `vae` is missing"), noVae.getMessage());

        Files.writeString(index, original.replace("\"unet\": [\"diffusers\", \"UNet2DConditionModel\"]",
                "\"unet\": [\"diffusers\", \"UNet2DConditionModel\"], \"text_encoder_2\": [\"transformers\","
                        + " \"CLIPTextModelWithProjection\"]"));
        ConfigException xl = assertThrows(ConfigException.class,
                () -> DiffusionPipeline.fromPretrained(pipe, PipelineOptions.defaults()));
        assertTrue(xl.getMessage().contains("component `text_encoder_2`"), xl.getMessage());

        Files.writeString(index, original.replace("\"CLIPTextModel\"", "\"T5EncoderModel\""));
        ConfigException t5 = assertThrows(ConfigException.class,
                () -> DiffusionPipeline.fromPretrained(pipe, PipelineOptions.defaults()));
        assertTrue(t5.getMessage().contains("`text_encoder` = [\"transformers\", \"T5EncoderModel\"] is not supported"),
                t5.getMessage());

        Files.writeString(index, original);
        ConfigException sched = assertThrows(ConfigException.class, () -> DiffusionPipeline.fromPretrained(pipe,
                PipelineOptions.defaults().withScheduler("heun")));
        assertTrue(sched.getMessage().contains("unknown scheduler \"heun\""), sched.getMessage());

        ModelNotFoundException notPipeline = assertThrows(ModelNotFoundException.class,
                () -> DiffusionPipeline.fromPretrained(pipe.resolve("unet"), PipelineOptions.defaults()));
        assertTrue(notPipeline.getMessage().contains("has no model_index.json"), notPipeline.getMessage());
    }

    @Test
    void gpuWithoutAGpuIsAClearError() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ai.djl.engine.Engine.getInstance().getGpuCount() == 0);
        BkdException e = assertThrows(BkdException.class, () -> DiffusionPipeline.fromPretrained(RefData.models(),
                PipelineOptions.defaults().withDevice(Device.gpu())));
        assertTrue(e.getMessage().contains("libtorch sees no GPU"), e.getMessage());
    }
}
