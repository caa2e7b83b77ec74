package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTextConfigTest {
    @TempDir
    Path tmp;

    @Test
    void referenceConfigParses() {
        ClipTextConfig c = ClipTextConfig.read(RefData.models().resolve("text_encoder/config.json"));
        assertEquals(49408, c.vocabSize());
        assertEquals(32, c.hiddenSize());
        assertEquals(37, c.intermediateSize());
        assertEquals(32, c.projectionDim());
        assertEquals(2, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(8, c.headDim());
        assertEquals(77, c.maxPositionEmbeddings());
        assertEquals("quick_gelu", c.hiddenAct());
        assertEquals(1e-5, c.layerNormEps());
        assertEquals(1, c.padTokenId());
        assertEquals(0, c.bosTokenId());
        assertEquals(2, c.eosTokenId());
        assertEquals("CLIPTextModel", c.extras().get("architectures").get(0).asText());
        assertEquals("5.17.0", c.extras().get("transformers_version").asText());
    }

    @Test
    void absentFieldsTakeTransformersClassDefaults() throws IOException {
        ClipTextConfig c = read("{}");
        assertEquals(ClipTextConfig.defaults(), c);
        assertEquals(512, c.hiddenSize());
        assertEquals(49407, c.eosTokenId());
        assertEquals(49406, c.bosTokenId());
        assertEquals("quick_gelu", c.hiddenAct());
        assertEquals(12, c.numHiddenLayers());
    }

    @Test
    void saveRoundTripsTheReferenceFile() throws IOException {
        Path src = RefData.models().resolve("text_encoder/config.json");
        Path out = tmp.resolve("text_encoder/config.json");
        ClipTextConfig.read(src).save(out);
        JsonNode a = ConfigReader.MAPPER.readTree(src.toFile());
        JsonNode b = ConfigReader.MAPPER.readTree(out.toFile());
        assertEquals(a, b);
        assertEquals(ClipTextConfig.read(src), ClipTextConfig.read(out));
    }

    @Test
    void unsupportedValuesNameFileAndField() {
        assertMessage("{\"hidden_act\": \"relu\"}", "field `hidden_act` = \"relu\" is not supported by bkd");
        assertMessage("{\"model_type\": \"clip\"}", "field `model_type` = \"clip\" is not supported by bkd");
        assertMessage("{\"hidden_size\": 30, \"num_attention_heads\": 4}",
                "field `num_attention_heads` = 4 does not divide `hidden_size` = 30");
        assertMessage("{\"eos_token_id\": \"</s>\"}", "field `eos_token_id` must be an integer");
        assertMessage("{\"layer_norm_eps\": -1}", "field `layer_norm_eps` must be a positive number");
        assertMessage("{\"num_hidden_layers\": 0}", "field `num_hidden_layers` must be at least 1");
    }

    private ClipTextConfig read(String json) throws IOException {
        Path f = tmp.resolve("text_encoder/config.json");
        Files.createDirectories(f.getParent());
        Files.writeString(f, json);
        return ClipTextConfig.read(f);
    }

    private void assertMessage(String json, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(json));
        assertTrue(e.getMessage().startsWith("text_encoder/config.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
