package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.testing.RefData;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationParameters;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.prompt.PromptSyntax;
import dev.bkd.models.schedulers.Schedulers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Field names, shapes and status codes of every endpoint, against A1111's API (modules/api/api.py, models.py). */
class ApiContractTest {
    static DiffusionPipeline pipe;
    static BkdServer server;
    static ServeClient client;

    @BeforeAll
    static void start() {
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
        server = BkdServer.start(pipe, ServerOptions.defaults().withPort(0));
        client = new ServeClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
        pipe.close();
    }

    static BufferedImage png(String b64) throws IOException {
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
    }

    static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void txt2imgAnswersA1111FieldsAndTheImagesThePipelineMakes() throws IOException {
        ServeClient.Answer a = client.post("/sdapi/v1/txt2img", Map.of("prompt", "a red square",
                "negative_prompt", "blurry", "steps", 3, "cfg_scale", 5, "width", 64, "height", 48, "seed", 7,
                "sampler_name", "Euler a", "batch_size", 2, "n_iter", 1));
        assertEquals(200, a.status(), a.text());
        assertEquals(Set.of("images", "parameters", "info"), fieldNames(a.json()));
        assertEquals(2, a.json().get("images").size());
        JsonNode params = a.json().get("parameters");
        assertEquals("a red square", params.get("prompt").asText());
        assertEquals(3, params.get("steps").asInt());
        assertEquals("Euler a", params.get("sampler_name").asText());
        assertTrue(a.json().get("info").isTextual(), "A1111's info is a JSON string");
        JsonNode info = ServeClient.JSON.readTree(a.json().get("info").asText());
        assertEquals(List.of(7L, 8L), List.of(info.get("all_seeds").get(0).asLong(), info.get("all_seeds").get(1).asLong()));
        assertEquals("Euler a", info.get("sampler_name").asText());
        assertEquals(64, info.get("width").asInt());
        assertFalse(info.get("interrupted").asBoolean());
        assertEquals(2, info.get("infotexts").size());
        assertTrue(info.get("infotexts").get(1).asText().contains("Seed: 8"), info.toString());
        // A1111's API takes A1111 prompts: weights and BREAK are parsed, not fed to CLIP as words
        assertTrue(info.get("infotexts").get(1).asText().contains("Prompt syntax: a1111"), info.toString());

        // image i was made with seed + i, exactly as the pipeline makes it alone (independent path: no server)
        for (int i = 0; i < 2; i++) {
            byte[] raw = Base64.getDecoder().decode(a.json().get("images").get(i).asText());
            assertTrue(new String(raw, StandardCharsets.ISO_8859_1).contains("parameters"),
                    "the PNG carries A1111's parameters text chunk");
            BufferedImage served = png(a.json().get("images").get(i).asText());
            assertEquals(64, served.getWidth());
            assertEquals(48, served.getHeight());
            BufferedImage direct = pipe.generate(GenerationRequest.builder("a red square").negativePrompt("blurry")
                    .steps(3).guidanceScale(5).size(64, 48).seed(7 + i).scheduler("euler-a").build()).images().get(0);
            assertArrayEquals(pixels(direct), pixels(served), "image " + i);
        }
    }

    @Test
    void txt2imgDefaultsAndSendImagesFalse() throws IOException {
        ServeClient.Answer a = client.post("/sdapi/v1/txt2img", Map.of("prompt", "x", "steps", 1,
                "send_images", false, "override_settings", Map.of("CLIP_stop_at_last_layers", 1,
                        "sd_vae", "Automatic")));
        assertEquals(200, a.status(), a.text());
        assertEquals(0, a.json().get("images").size());
        JsonNode info = ServeClient.JSON.readTree(a.json().get("info").asText());
        assertEquals(pipe.defaultWidth(), info.get("width").asInt(), "width defaults to the model's size");
        assertEquals(Samplers.ofScheduler(pipe.schedulerName()).name(), info.get("sampler_name").asText());
        assertEquals("sd_vae", info.get("ignored_override_settings").get(0).asText());
        long seed = info.get("seed").asLong();
        assertTrue(seed >= 0 && seed <= 0xFFFFFFFFL, "seed -1 picks a random 32-bit seed: " + seed);
    }

    @Test
    void progressWhenIdle() {
        ServeClient.Answer a = client.get("/sdapi/v1/progress");
        assertEquals(200, a.status());
        assertEquals(Set.of("progress", "eta_relative", "state", "current_image", "textinfo"), fieldNames(a.json()));
        assertEquals(Set.of("skipped", "interrupted", "job", "job_count", "job_timestamp", "job_no", "sampling_step",
                "sampling_steps"), fieldNames(a.json().get("state")));
        assertEquals(0.0, a.json().get("progress").asDouble());
    }

    @Test
    void interruptWhenIdleIsEmptyObject() {
        ServeClient.Answer a = client.post("/sdapi/v1/interrupt", "");
        assertEquals(200, a.status());
        assertEquals(0, a.json().size());
    }

    @Test
    void samplersCoverEverySchedulerAndMatchTheInfotextLabels() {
        ServeClient.Answer a = client.get("/sdapi/v1/samplers");
        assertEquals(200, a.status());
        Set<String> names = new HashSet<>();
        for (JsonNode s : a.json()) {
            assertEquals(Set.of("name", "aliases", "options"), fieldNames(s));
            names.add(s.get("name").asText());
        }
        assertTrue(names.containsAll(List.of("Euler a", "Euler", "LMS", "DPM++ 2M", "DDIM")), names.toString());
        for (String bkd : Schedulers.names()) {
            Samplers.Sampler row = Samplers.ofScheduler(bkd);
            GenerationParameters gp = new GenerationParameters("p", "", 1, bkd, 1, 1, 8, 8, "m");
            assertEquals(gp.samplerLabel(), row.name(), "PNG infotext and /samplers name " + bkd + " alike");
        }
        assertEquals("euler-a", Samplers.find("k_euler_a").orElseThrow().scheduler());
        assertEquals("pndm", Samplers.find("plms").orElseThrow().scheduler());
    }

    @Test
    void sdModelsListsTheLoadedModel() {
        ServeClient.Answer a = client.get("/sdapi/v1/sd-models");
        assertEquals(200, a.status());
        assertEquals(1, a.json().size());
        assertEquals(Set.of("title", "model_name", "hash", "sha256", "filename", "config"), fieldNames(a.json().get(0)));
        assertEquals(pipe.modelName(), a.json().get(0).get("title").asText());
    }

    @Test
    void optionsGetAndPost() {
        ServeClient.Answer a = client.get("/sdapi/v1/options");
        assertEquals(200, a.status());
        assertEquals(pipe.modelName(), a.json().get("sd_model_checkpoint").asText());
        assertEquals(1, a.json().get("CLIP_stop_at_last_layers").asInt());
        ServeClient.Answer set = client.post("/sdapi/v1/options", Map.of("CLIP_stop_at_last_layers", 1,
                "show_progressbar", true));
        assertEquals(200, set.status(), set.text());
        assertEquals("show_progressbar", set.json().get("ignored").get(0).asText());
        ServeClient.Answer other = client.post("/sdapi/v1/options", Map.of("sd_model_checkpoint", "v1-5.ckpt"));
        assertEquals(404, other.status());
        assertTrue(other.json().get("detail").asText().contains("v1-5.ckpt"), other.text());
        int layers = pipe.textEncoder().config().numHiddenLayers();
        ServeClient.Answer deep = client.post("/sdapi/v1/options", Map.of("CLIP_stop_at_last_layers", layers + 1));
        assertEquals(422, deep.status(), "CLIP skip beyond the text encoder's depth: " + deep.text());
        ServeClient.Answer two = client.post("/sdapi/v1/options", Map.of("CLIP_stop_at_last_layers", 2));
        assertEquals(200, two.status(), two.text());
        assertEquals(2, client.get("/sdapi/v1/options").json().get("CLIP_stop_at_last_layers").asInt());
        ServeClient.Answer back = client.post("/sdapi/v1/options", Map.of("CLIP_stop_at_last_layers", 1));
        assertEquals(200, back.status(), back.text());
    }

    @Test
    void clipSkipThroughOverrideSettingsIsThePipelinesClipSkip() throws IOException {
        Map<String, Object> body = Map.of("prompt", "a green field", "steps", 2, "width", 32, "height", 32,
                "seed", 4, "override_settings", Map.of("CLIP_stop_at_last_layers", 2));
        ServeClient.Answer a = client.post("/sdapi/v1/txt2img", body);
        assertEquals(200, a.status(), a.text());
        JsonNode info = ServeClient.JSON.readTree(a.json().get("info").asText());
        assertEquals(2, info.get("clip_skip").asInt());
        assertTrue(info.get("infotexts").get(0).asText().contains("Clip skip: 2"), info.toString());
        BufferedImage served = png(a.json().get("images").get(0).asText());
        GenerationRequest.Builder direct = GenerationRequest.builder("a green field").steps(2).size(32, 32)
                .seed(4L).guidanceScale(7).promptSyntax(PromptSyntax.A1111);
        assertArrayEquals(pixels(pipe.generate(direct.clipSkip(2).build()).images().get(0)), pixels(served));
        assertFalse(Arrays.equals(pixels(pipe.generate(direct.clipSkip(1).build()).images().get(0)),
                pixels(served)), "clip skip 2 changes the image");
    }

    @Test
    void errorsAreJsonWithStatus() {
        ServeClient.Answer missing = client.get("/sdapi/v1/nope");
        assertEquals(404, missing.status());
        assertEquals(Set.of("error", "detail", "body", "errors"), fieldNames(missing.json()));
        ServeClient.Answer method = client.get("/sdapi/v1/txt2img");
        assertEquals(405, method.status());
        assertEquals("POST", method.header("Allow"));
    }

    @Test
    void webPageIsServed() {
        ServeClient.Answer a = client.get("/");
        assertEquals(200, a.status());
        assertTrue(a.header("Content-Type").startsWith("text/html"));
        assertTrue(a.text().contains("/sdapi/v1/txt2img"));
    }

    @Test
    void apiKeyIsRequiredWhenSetAndExposureWithoutKeyIsRefused() {
        try (BkdServer keyed = BkdServer.start(pipe, ServerOptions.defaults().withPort(0).withApiKey("s3cret"))) {
            ServeClient c = new ServeClient(keyed);
            ServeClient.Answer none = c.get("/sdapi/v1/sd-models");
            assertEquals(401, none.status());
            assertEquals("Bearer", none.header("WWW-Authenticate"));
            assertEquals(401, c.get("/sdapi/v1/sd-models", "Authorization", "Bearer wrong").status());
            assertEquals(200, c.get("/sdapi/v1/sd-models", "Authorization", "Bearer s3cret").status());
            assertEquals(200, c.get("/sdapi/v1/sd-models", "X-Api-Key", "s3cret").status());
            assertEquals(200, c.get("/").status(), "the page itself is static; its API calls carry the key");
        }
        ServeException e = assertThrows(ServeException.class,
                () -> BkdServer.start(pipe, ServerOptions.defaults().withPort(0).withHost("0.0.0.0")));
        assertTrue(e.getMessage().contains("--api-key"), e.getMessage());
    }

    static Set<String> fieldNames(JsonNode n) {
        assertNotNull(n);
        Set<String> s = new HashSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
