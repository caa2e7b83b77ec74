package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.image.ResizeMode;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** POST /sdapi/v1/img2img: A1111's fields (init_images, denoising_strength, mask), the same images as the pipeline. */
class Img2ImgApiTest {
    static ServedPipeline served;
    static DiffusionPipeline pipe;
    static ServeClient client;

    @BeforeAll
    static void start() {
        served = new ServedPipeline();
        pipe = served.pipe;
        client = served.client;
    }

    @AfterAll
    static void stop() {
        served.close();
    }

    static Path image(String name) {
        return RefData.dataset("img2img").resolve("images").resolve(name);
    }

    static String b64(Path file) throws IOException {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
    }

    @Test
    void img2imgMatchesThePipelineAndEchoesA1111Fields() throws IOException {
        Path init = image("img2img_init.png");
        ServeClient.Answer a = client.post("/sdapi/v1/img2img", Map.of("prompt", "a house", "steps", 4,
                "denoising_strength", 0.6, "seed", 5, "sampler_name", "DDIM", "cfg_scale", 7.5,
                "init_images", List.of("data:image/png;base64," + b64(init)), "batch_size", 2));
        assertEquals(200, a.status(), a.text());
        assertEquals(2, a.json().get("images").size());
        JsonNode params = a.json().get("parameters");
        assertTrue(params.get("init_images").isNull(), "init images are not sent back (include_init_images)");
        assertEquals(0.6, params.get("denoising_strength").asDouble());
        JsonNode info = ServeClient.JSON.readTree(a.json().get("info").asText());
        assertEquals(0.6, info.get("denoising_strength").asDouble());
        BufferedImage src = ImageIO.read(init.toFile());
        assertEquals(src.getWidth() / 8 * 8, info.get("width").asInt(), "size defaults to the init image's");
        for (int i = 0; i < 2; i++) {
            BufferedImage served = ApiContractTest.png(a.json().get("images").get(i).asText());
            BufferedImage direct = pipe.generate(GenerationRequest.builder("a house").steps(4).strength(0.6)
                    .initImage(src).seed(5 + i).scheduler("ddim").guidanceScale(7.5)
                    .size(info.get("width").asInt(), info.get("height").asInt()).resizeMode(ResizeMode.DEFAULT).build())
                    .images().get(0);
            assertArrayEquals(ApiContractTest.pixels(direct), ApiContractTest.pixels(served), "image " + i);
        }
    }

    @Test
    void inpaintingWithAMaskOnATextToImageUnet() throws IOException {
        ServeClient.Answer a = client.post("/sdapi/v1/img2img", Map.of("prompt", "a door", "steps", 2,
                "seed", 9, "init_images", List.of(b64(image("inpaint_image.png"))),
                "mask", b64(image("inpaint_mask.png")), "width", 64, "height", 64));
        assertEquals(200, a.status(), a.text());
        BufferedImage served = ApiContractTest.png(a.json().get("images").get(0).asText());
        // A1111's default denoising_strength 0.75 holds for inpainting too
        BufferedImage direct = pipe.generate(GenerationRequest.builder("a door").steps(2).seed(9).guidanceScale(7)
                .strength(0.75)
                .initImage(ImageIO.read(image("inpaint_image.png").toFile()))
                .mask(ImageIO.read(image("inpaint_mask.png").toFile())).legacyInpainting(true).strength(0.75).size(64, 64).build())
                .images().get(0);
        assertArrayEquals(ApiContractTest.pixels(direct), ApiContractTest.pixels(served));
    }

    @Test
    void badImagesAreRefusedBeforeThePipeline() throws IOException {
        int before = served.calls.get();
        BufferedImage wide = new BufferedImage(5000, 1, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(wide, "png", png);
        String huge = Base64.getEncoder().encodeToString(png.toByteArray());
        String ok = b64(image("img2img_init.png"));
        Object[][] cases = {
            {Map.of("prompt", "x"), 422, "`init_images` is missing"},
            {Map.of("init_images", "abc"), 422, "must be a non-empty array"},
            {Map.of("init_images", List.of("%%%")), 422, "not valid base64"},
            {Map.of("init_images", List.of("aGVsbG8=")), 422, "not an image"},
            {Map.of("init_images", List.of(huge)), 422, "is 5000x1"},
            {Map.of("init_images", List.of(ok), "denoising_strength", 0), 422, "denoising_strength"},
            {Map.of("init_images", List.of(ok), "denoising_strength", 1.5), 422, "out of range"},
            {Map.of("init_images", List.of(ok), "resize_mode", 2), 422, "`resize_mode` = 2 is not supported"},
        };
        for (Object[] c : cases) {
            ServeClient.Answer a = client.post("/sdapi/v1/img2img", c[0]);
            assertEquals(c[1], a.status(), a.text());
            assertTrue(a.json().get("detail").asText().contains((String) c[2]), a.text());
        }
        assertEquals(before, served.calls.get(), "no bad image reached the pipeline");
    }
}
