package dev.bkd.core.config;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.AutoencoderKLConfig.DownBlockType;
import dev.bkd.core.config.AutoencoderKLConfig.UpBlockType;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoencoderKLConfigTest {
    @TempDir
    Path tmp;

    @Test
    void referenceConfigParses() {
        AutoencoderKLConfig c = AutoencoderKLConfig.read(RefData.models().resolve("vae/config.json"));
        assertEquals(3, c.inChannels());
        assertEquals(3, c.outChannels());
        assertEquals(Collections.nCopies(4, DownBlockType.DownEncoderBlock2D), c.downBlockTypes());
        assertEquals(Collections.nCopies(4, UpBlockType.UpDecoderBlock2D), c.upBlockTypes());
        assertEquals(List.of(16, 32, 32, 32), c.blockOutChannels());
        assertEquals(2, c.layersPerBlock());
        assertEquals("silu", c.actFn());
        assertEquals(4, c.latentChannels());
        assertEquals(8, c.normNumGroups());
        assertEquals(List.of(128), c.sampleSize());
        assertEquals(0.18215, c.scalingFactor());
        assertNull(c.shiftFactor());
        assertNull(c.latentsMean());
        assertNull(c.latentsStd());
        assertTrue(c.forceUpcast());
        assertTrue(c.useQuantConv());
        assertTrue(c.usePostQuantConv());
        assertTrue(c.midBlockAddAttention());
        assertEquals(8, c.downscaleFactor());
        assertEquals("0.40.0", c.extras().get("_diffusers_version").asText());
        assertEquals(1, c.extras().size(), c.extras().toString());
    }

    @Test
    void absentFieldsTakeDiffusersClassDefaults() throws IOException {
        AutoencoderKLConfig c = read("{\"_class_name\": \"AutoencoderKL\"}");
        assertEquals(List.of(64), c.blockOutChannels());
        assertEquals(1, c.layersPerBlock());
        assertEquals(32, c.normNumGroups());
        assertEquals(List.of(32), c.sampleSize());
        assertEquals(0.18215, c.scalingFactor());
        assertEquals(AutoencoderKLConfig.defaults(), c);
    }

    @Test
    void sdxlStyleFieldsParse() throws IOException {
        AutoencoderKLConfig c = read("{\"block_out_channels\": [8, 8], \"down_block_types\": [\"DownEncoderBlock2D\","
                + " \"DownEncoderBlock2D\"], \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\"],"
                + " \"norm_num_groups\": 4, \"scaling_factor\": 0.13025, \"shift_factor\": 0.0609,"
                + " \"latents_mean\": [1, 2, 3, 4.5], \"latents_std\": [1, 1, 1, 1], \"use_quant_conv\": false,"
                + " \"use_post_quant_conv\": false, \"mid_block_add_attention\": false, \"force_upcast\": false,"
                + " \"sample_size\": [64, 96], \"future_field\": {\"x\": 1}}");
        assertEquals(0.13025, c.scalingFactor());
        assertEquals(0.0609, c.shiftFactor());
        assertEquals(List.of(1.0, 2.0, 3.0, 4.5), c.latentsMean());
        assertFalse(c.useQuantConv());
        assertFalse(c.usePostQuantConv());
        assertFalse(c.midBlockAddAttention());
        assertFalse(c.forceUpcast());
        assertEquals(List.of(64, 96), c.sampleSize());
        assertEquals(2, c.downscaleFactor());
        Path out = tmp.resolve("saved/config.json");
        c.save(out);
        ObjectNode saved = (ObjectNode) ConfigReader.MAPPER.readTree(out.toFile());
        assertEquals(1, saved.get("future_field").get("x").asInt());
        assertEquals("AutoencoderKL", saved.get("_class_name").asText());
        assertEquals(c, AutoencoderKLConfig.read(out));
    }

    @Test
    void saveRoundTripsTheReferenceFile() throws IOException {
        Path src = RefData.models().resolve("vae/config.json");
        Path out = tmp.resolve("vae/config.json");
        AutoencoderKLConfig.read(src).save(out);
        assertEquals(ConfigReader.MAPPER.readTree(src.toFile()), ConfigReader.MAPPER.readTree(out.toFile()));
    }

    @Test
    void unsupportedValuesNameFileAndField() throws IOException {
        assertMessage("{\"down_block_types\": [\"AttnDownEncoderBlock2D\"]}",
                "field `down_block_types` entry \"AttnDownEncoderBlock2D\" is not supported by bkd");
        assertMessage("{\"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\"]}",
                "field `up_block_types` has 2 entries but `block_out_channels` has 1");
        assertMessage("{\"_class_name\": \"AutoencoderTiny\"}",
                "field `_class_name` = \"AutoencoderTiny\" is not supported by bkd");
        assertMessage("{\"act_fn\": \"mish\"}", "field `act_fn` = \"mish\" is not supported by bkd");
        assertMessage("{\"block_out_channels\": [48], \"norm_num_groups\": 32}",
                "field `norm_num_groups` = 32 does not divide block_out_channels entry 48");
        assertMessage("{\"latents_mean\": [0.1, 0.2]}", "field `latents_mean` has 2 entries but `latent_channels` is 4");
        assertMessage("{\"scaling_factor\": \"big\"}", "field `scaling_factor` must be a number");
        assertMessage("{\"scaling_factor\": 0}", "field `scaling_factor` must be a positive number");
        assertMessage("{\"layers_per_block\": 0}", "field `layers_per_block` must be at least 1");
        assertMessage("{\"use_quant_conv\": \"yes\"}", "field `use_quant_conv` must be true or false");
        assertMessage("{\"sample_size\": [1, 2, 3]}", "field `sample_size` must be an int or [height, width]");
        assertMessage("{\"block_out_channels\": []}", "field `block_out_channels` must not be empty");
        assertMessage("{\"in_channels\": 3,", "config.json: invalid JSON at line 1");
    }

    private AutoencoderKLConfig read(String json) throws IOException {
        Path f = tmp.resolve("vae/config.json");
        Files.createDirectories(f.getParent());
        Files.writeString(f, json);
        return AutoencoderKLConfig.read(f);
    }

    private void assertMessage(String json, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(json));
        assertTrue(e.getMessage().startsWith("vae/config.json: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
