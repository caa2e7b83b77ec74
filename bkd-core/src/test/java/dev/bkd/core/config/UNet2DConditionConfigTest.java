package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UNet2DConditionConfigTest {
    static final String LABEL = "unet/config.json";

    static JsonNode tree(String json) throws Exception {
        return ConfigReader.MAPPER.readTree(json);
    }

    @Test
    void writesTheSameConfigDiffusersWrote() throws Exception {
        Path file = RefData.models().resolve("unet/config.json");
        UNet2DConditionConfig c = UNet2DConditionConfig.read(file);
        // diffusers 0.40 wrote every init argument; ours must be the same JSON, value for value
        assertEquals(tree(Files.readString(file)), tree(c.toJsonString()));
        assertEquals(c, UNet2DConditionConfig.parse("again", c.toJsonString()));
    }

    @Test
    void sd15PresetTakesClassDefaultsForAbsentFields() throws Exception {
        UNet2DConditionConfig c = UNet2DConditionConfig.preset("sd15");
        assertEquals(List.of(8, 8, 8, 8), c.attentionHeadDim());
        assertEquals(List.of(768, 768, 768, 768), c.crossAttentionDim());
        assertEquals(List.of(2, 2, 2, 2), c.layersPerBlock());
        assertEquals(List.of(1, 1, 1, 1), c.transformerLayersPerBlock());
        assertEquals(UNetBlockType.UNetMidBlock2DCrossAttn, c.midBlockType());
        assertEquals(List.of(64), c.sampleSize());
        assertEquals(1280, c.timeEmbedDim());
        assertFalse(c.useLinearProjection());
        assertFalse(c.upcastAttention());
        assertEquals("0.6.0", c.extras().get("_diffusers_version").asText());
        // every published key survives a round trip with its value
        JsonNode published = tree(new String(UNet2DConditionConfig.class
                .getResourceAsStream("unet/sd15.json").readAllBytes()));
        assertEquals(19, published.size());
        JsonNode written = c.toJson();
        published.fieldNames().forEachRemaining(k -> assertEquals(published.get(k), written.get(k), k));
    }

    @Test
    void sd21Preset() {
        UNet2DConditionConfig c = UNet2DConditionConfig.preset("sd21");
        assertEquals(List.of(5, 10, 20, 20), c.attentionHeadDim());
        assertEquals(List.of(1024, 1024, 1024, 1024), c.crossAttentionDim());
        assertTrue(c.useLinearProjection());
        assertTrue(c.upcastAttention());
        assertEquals(List.of(96), c.sampleSize());
        assertTrue(c.toJson().get("attention_head_dim").isArray());
        ConfigException e = assertThrows(ConfigException.class, () -> UNet2DConditionConfig.preset("sdxl"));
        assertTrue(e.getMessage().contains("sd15, sd21"), e.getMessage());
    }

    @Test
    void unknownFieldsAreKeptAndSaved(@TempDir Path dir) throws Exception {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(LABEL,
                "{\"block_out_channels\": [32, 64], \"norm_num_groups\": 8,"
                        + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                        + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                        + " \"_name_or_path\": \"somewhere\", \"my_note\": {\"a\": [1, 2]},"
                        + " \"resnet_out_scale_factor\": 1.0, \"sample_size\": [32, 48]}");
        Path f = dir.resolve("unet/config.json");
        c.save(f);
        JsonNode back = tree(Files.readString(f));
        assertEquals("somewhere", back.get("_name_or_path").asText());
        assertEquals(tree("{\"a\": [1, 2]}"), back.get("my_note"));
        assertEquals("UNet2DConditionModel", back.get("_class_name").asText());
        assertEquals(tree("[32, 48]"), back.get("sample_size"));
        assertEquals(c, UNet2DConditionConfig.read(f));
        List<String> keys = new java.util.ArrayList<>();
        back.fieldNames().forEachRemaining(keys::add);
        List<String> sorted = new java.util.ArrayList<>(keys);
        Collections.sort(sorted);
        assertEquals(sorted, keys, "keys sorted like diffusers writes them");
    }

    @Test
    void derivedStudentConfigs() {
        UNet2DConditionConfig sd15 = UNet2DConditionConfig.preset("sd15");
        UNet2DConditionConfig tiny = sd15.toBuilder().layersPerBlock(1).midBlockType(null)
                .blockOutChannels(320, 640, 1280)
                .downBlockTypes(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                        UNetBlockType.CrossAttnDownBlock2D)
                .upBlockTypes(UNetBlockType.CrossAttnUpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                        UNetBlockType.CrossAttnUpBlock2D)
                .build();
        assertNull(tiny.midBlockType());
        assertEquals(List.of(1, 1, 1), tiny.layersPerBlock());
        assertEquals(List.of(8, 8, 8), tiny.attentionHeadDim());
        assertTrue(tiny.toJson().get("mid_block_type").isNull(), "null mid block is written explicitly");
        assertEquals(tiny, UNet2DConditionConfig.parse("x", tiny.toJsonString()));
        assertEquals(List.of(2, 2, 2, 2), sd15.layersPerBlock(), "the source config is unchanged");

        // a per-block list that no longer fits is reported by field
        UNet2DConditionConfig.Builder b = UNet2DConditionConfig.preset("sd21").toBuilder()
                .blockOutChannels(320, 640, 1280)
                .downBlockTypes(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                        UNetBlockType.DownBlock2D)
                .upBlockTypes(UNetBlockType.UpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                        UNetBlockType.CrossAttnUpBlock2D);
        ConfigException e = assertThrows(ConfigException.class, b::build);
        assertEquals("UNet2DConditionConfig: field `attention_head_dim` has 4 entries but `down_block_types` has 3",
                e.getMessage());
        assertEquals(List.of(5, 10, 20), b.attentionHeadDim(5, 10, 20).build().attentionHeadDim());
        e = assertThrows(ConfigException.class, () -> sd15.toBuilder().blockOutChannels(320, 640, 1280).build());
        assertTrue(e.getMessage().contains("`block_out_channels` has 3 entries but `down_block_types` has 4"),
                e.getMessage());
    }

    static ConfigException bad(String json) {
        return assertThrows(ConfigException.class, () -> UNet2DConditionConfig.parse(LABEL, json));
    }

    static void rejects(String json, String... inMessage) {
        ConfigException e = bad(json);
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), "message lacks '" + s + "': " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith(LABEL), e.getMessage());
    }

    @Test
    void unsupportedFieldsAreRejectedByName() {
        rejects("{\"class_embed_type\": \"timestep\"}", "`class_embed_type`", "timestep");
        rejects("{\"num_class_embeds\": 10}", "`num_class_embeds`");
        rejects("{\"class_embeddings_concat\": true}", "`class_embeddings_concat`");
        rejects("{\"addition_embed_type\": \"text_time\"}", "`addition_embed_type`", "text_time");
        rejects("{\"time_cond_proj_dim\": 256}", "`time_cond_proj_dim`", "256");
        rejects("{\"encoder_hid_dim\": 1024}", "`encoder_hid_dim`");
        rejects("{\"encoder_hid_dim_type\": \"text_proj\"}", "`encoder_hid_dim_type`");
        rejects("{\"dual_cross_attention\": true}", "`dual_cross_attention`", "true");
        rejects("{\"resnet_time_scale_shift\": \"scale_shift\"}", "`resnet_time_scale_shift`", "scale_shift");
        rejects("{\"attention_type\": \"gated\"}", "`attention_type`", "gated");
        rejects("{\"time_embedding_type\": \"fourier\"}", "`time_embedding_type`", "fourier");
        rejects("{\"cross_attention_norm\": \"group_norm\"}", "`cross_attention_norm`");
        rejects("{\"num_attention_heads\": 8}", "`num_attention_heads`", "attention_head_dim");
        rejects("{\"_class_name\": \"UNet2DModel\"}", "`_class_name`", "UNet2DModel");
        rejects("{\"reverse_transformer_layers_per_block\": [[1, 1], [2, 2]]}", "`reverse_transformer_layers_per_block`");
        rejects("{\"act_fn\": \"mish\"}", "`act_fn`", "mish");
        rejects("{\"time_embedding_act_fn\": \"relu\"}", "`time_embedding_act_fn`", "relu");
        rejects("{\"norm_num_groups\": null}", "`norm_num_groups`");
    }

    @Test
    void inconsistentLayoutsAreRejectedByName() {
        rejects("{\"down_block_types\": [\"CrossAttnDownBlock2D\", \"SimpleCrossAttnDownBlock2D\", "
                + "\"CrossAttnDownBlock2D\", \"DownBlock2D\"]}", "`down_block_types` entry 1", "SimpleCrossAttnDownBlock2D");
        rejects("{\"up_block_types\": [\"UpBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnUpBlock2D\", "
                + "\"CrossAttnUpBlock2D\"]}", "`up_block_types` entry 1", "CrossAttnDownBlock2D");
        rejects("{\"mid_block_type\": \"UNetMidBlock2DSimpleCrossAttn\"}", "`mid_block_type`");
        rejects("{\"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]}",
                "`up_block_types` has 3 entries but `down_block_types` has 4");
        rejects("{\"block_out_channels\": [320, 640, 1280]}", "`block_out_channels` has 3 entries");
        rejects("{\"attention_head_dim\": [8, 8, 8]}", "`attention_head_dim` has 3 entries but `down_block_types` has 4");
        rejects("{\"layers_per_block\": [2, 2]}", "`layers_per_block` has 2 entries");
        rejects("{\"cross_attention_dim\": [768, 768, 768, 768, 768]}", "`cross_attention_dim` has 5 entries");
        rejects("{\"only_cross_attention\": [true, false]}", "`only_cross_attention` has 2 entries");
        rejects("{\"transformer_layers_per_block\": [[1, 2], 1, 1, 1]}", "`transformer_layers_per_block`", "nested");
        rejects("{\"norm_num_groups\": 30}", "`norm_num_groups`", "320");
        rejects("{\"layers_per_block\": 0}", "`layers_per_block`", ">= 1");
        rejects("{\"attention_head_dim\": [8, 8, 8, 2000]}", "`attention_head_dim`", "2000");
        rejects("{\"conv_in_kernel\": 4}", "`conv_in_kernel`");
        rejects("{\"in_channels\": \"four\"}", "`in_channels`", "integer");
        rejects("{\"down_block_types\": []}", "`down_block_types`", "empty");
        rejects("{\"sample_size\": [1, 2, 3]}", "`sample_size`");
        rejects("[1, 2]", "JSON object");
        rejects("{\"in_channels\": 4,", "invalid JSON");
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> UNet2DConditionConfig.read(dir.resolve("unet/config.json")));
        assertTrue(e.getMessage().contains("unet/config.json"), e.getMessage());
    }

    @Test
    void legacyUNetResPrefixAndPerBlockOnlyCrossAttention() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(LABEL,
                "{\"down_block_types\": [\"UNetResCrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\","
                        + " \"CrossAttnDownBlock2D\", \"DownBlock2D\"], \"only_cross_attention\": [true, false, false, false]}");
        assertEquals(UNetBlockType.CrossAttnDownBlock2D, c.downBlockTypes().get(0));
        assertEquals(List.of(true, false, false, false), c.onlyCrossAttention());
        ObjectNode j = c.toJson();
        assertTrue(j.get("only_cross_attention").isArray());
    }
}
