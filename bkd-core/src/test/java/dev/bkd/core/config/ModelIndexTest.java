package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelIndexTest {
    @TempDir
    Path tmp;

    @Test
    void referenceIndexParses() {
        ModelIndex mi = ModelIndex.read(RefData.models().resolve("model_index.json"));
        assertEquals("StableDiffusionPipeline", mi.className());
        assertEquals(new ModelIndex.Component("diffusers", "AutoencoderKL"), mi.component("vae").orElseThrow());
        assertEquals(new ModelIndex.Component("transformers", "CLIPTextModel"), mi.component("text_encoder").orElseThrow());
        assertEquals(new ModelIndex.Component("diffusers", "PNDMScheduler"), mi.component("scheduler").orElseThrow());
        assertEquals(new ModelIndex.Component("diffusers", "UNet2DConditionModel"), mi.component("unet").orElseThrow());
        assertEquals(new ModelIndex.Component("transformers", "CLIPTokenizer"), mi.component("tokenizer").orElseThrow());
        assertTrue(mi.components().get("safety_checker").isDisabled());
        assertTrue(mi.component("safety_checker").isEmpty());
        assertTrue(mi.component("feature_extractor").isEmpty());
        assertEquals(7, mi.components().size());
        assertEquals("0.6.0", mi.extras().get("_diffusers_version").asText());
        assertFalse(mi.extras().get("requires_safety_checker").asBoolean());
    }

    @Test
    void saveKeepsEverything() throws IOException {
        Path src = RefData.models().resolve("model_index.json");
        ModelIndex mi = ModelIndex.read(src);
        Path out = tmp.resolve("model_index.json");
        mi.save(out);
        assertEquals(ConfigReader.MAPPER.readTree(src.toFile()), ConfigReader.MAPPER.readTree(out.toFile()));
        assertEquals(mi, ModelIndex.read(out));
    }

    @Test
    void badEntriesNameFileAndField() throws IOException {
        assertMessage("{\"_class_name\": \"StableDiffusionPipeline\", \"vae\": [\"diffusers\"]}",
                "model_index.json: field `vae` must be [library, class] (two entries)");
        assertMessage("{\"_class_name\": \"StableDiffusionPipeline\", \"unet\": [\"diffusers\", 3]}",
                "model_index.json: field `unet` must be [library, class] as two strings or [null, null]");
        assertMessage("{\"vae\": [\"diffusers\", \"AutoencoderKL\"]}", "model_index.json: field `_class_name` is missing");
        assertMessage("[1, 2]", "model_index.json: expected a JSON object");
    }

    private void assertMessage(String json, String expected) throws IOException {
        Path f = tmp.resolve("model_index.json");
        Files.writeString(f, json);
        ConfigException e = assertThrows(ConfigException.class, () -> ModelIndex.read(f));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith(tmp.getFileName() + "/model_index.json"), e.getMessage());
    }

    @Test
    void componentsKeepFileOrder() {
        ModelIndex mi = ModelIndex.read(RefData.models().resolve("model_index.json"));
        assertEquals(List.of("feature_extractor", "safety_checker", "scheduler", "text_encoder", "tokenizer", "unet",
                "vae"), List.copyOf(mi.components().keySet()));
    }
}
