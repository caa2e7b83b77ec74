package dev.bkd.core.prune;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BK variants derived from teacher configs, against the published counts and Segmind's prepare_unet students. */
class PrunePlanTest {
    static UNet2DConditionConfig refTeacher() {
        return UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
    }

    static JsonNode losses() throws Exception {
        return ConfigReader.MAPPER.readTree(RefData.ref("bksdm_losses.json").toFile());
    }

    /** BK-SDM paper / model cards: UNet parameters of SD1.5/SD2.1 and their BK students. */
    @ParameterizedTest
    @CsvSource({"sd15, base, 579384964", "sd15, small, 482346884", "sd15, tiny, 323384964",
        "sd15, sd_small, 579384964", "sd15, sd_tiny, 323384964",
        "sd21, base, 583480964", "sd21, small, 485787524", "sd21, tiny, 326825604"})
    void publishedParameterCounts(String preset, String variant, long expected) {
        PrunePlan p = PrunePlan.derive(UNet2DConditionConfig.preset(preset), PruneSpec.builtIn(variant));
        assertEquals(expected, p.studentParameters());
        assertEquals(preset.equals("sd15") ? 859_520_964L : 865_910_724L, p.teacherParameters());
        // the built block tree of the derived config has the same count
        assertEquals(expected, new UNet2DConditionModel(p.student()).parameterCount());
    }

    /** BK-SDM's published student configs (nota-netspresso/BK-SDM src/unet_config/bk_*), field by field. */
    @Test
    void sd15StudentConfigsEqualBkSdmPublishedOnes() {
        UNet2DConditionConfig t = UNet2DConditionConfig.preset("sd15");
        UNet2DConditionConfig base = PrunePlan.derive(t, PruneSpec.builtIn("base")).student();
        assertEquals(List.of(320, 640, 1280, 1280), base.blockOutChannels());
        assertEquals(List.of(1, 1, 1, 1), base.layersPerBlock());
        assertEquals(UNetBlockType.UNetMidBlock2DCrossAttn, base.midBlockType());
        UNet2DConditionConfig small = PrunePlan.derive(t, PruneSpec.builtIn("small")).student();
        assertNull(small.midBlockType());
        assertEquals(List.of(1, 1, 1, 1), small.layersPerBlock());
        UNet2DConditionConfig tiny = PrunePlan.derive(t, PruneSpec.builtIn("tiny")).student();
        assertEquals(List.of(320, 640, 1280), tiny.blockOutChannels());
        assertEquals(List.of(1, 1, 1), tiny.layersPerBlock());
        assertNull(tiny.midBlockType());
        assertEquals(List.of(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                UNetBlockType.CrossAttnDownBlock2D), tiny.downBlockTypes());
        assertEquals(List.of(UNetBlockType.CrossAttnUpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                UNetBlockType.CrossAttnUpBlock2D), tiny.upBlockTypes());
        assertEquals(List.of(768, 768, 768), tiny.crossAttentionDim());
        assertEquals(List.of(64), tiny.sampleSize());
        // SD2.1: per-block heads lose their last entry too
        UNet2DConditionConfig tiny21 = PrunePlan.derive(UNet2DConditionConfig.preset("sd21"), PruneSpec.builtIn("tiny"))
                .student();
        assertEquals(List.of(5, 10, 20), tiny21.attentionHeadDim());
        assertTrue(tiny21.useLinearProjection() && tiny21.upcastAttention());
    }

    /** Parameter counts of the block trees built from configs derived for the reference teacher. */
    @Test
    void referenceStudentsHaveTheParameterCountsOfPrepareUnet() throws Exception {
        JsonNode l = losses();
        UNet2DConditionConfig t = refTeacher();
        assertEquals(l.get("teacher_num_params").asLong(), new UNet2DConditionModel(t).parameterCount());
        PrunePlan base = PrunePlan.derive(t, PruneSpec.builtIn("sd_small"));
        PrunePlan tiny = PrunePlan.derive(t, PruneSpec.builtIn("sd_tiny"));
        assertEquals(l.at("/sd_small/student_num_params").asLong(), base.studentParameters());
        assertEquals(l.at("/sd_tiny/student_num_params").asLong(), tiny.studentParameters());
        assertEquals(l.at("/sd_small/student_num_params").asLong(),
                new UNet2DConditionModel(base.student()).parameterCount());
        assertEquals(l.at("/sd_tiny/student_num_params").asLong(),
                new UNet2DConditionModel(tiny.student()).parameterCount());
        assertEquals(l.at("/sd_small/student_state_dict_keys").asInt(), base.keyMap().size());
        assertEquals(l.at("/sd_tiny/student_state_dict_keys").asInt(), tiny.keyMap().size());
    }

    @ParameterizedTest
    @CsvSource({"base, unet_bk_base", "tiny, unet_bk_tiny"})
    void keyMapEqualsPrepareUnets(String variant, String folder) throws Exception {
        PrunePlan p = PrunePlan.derive(refTeacher(), PruneSpec.builtIn(variant));
        JsonNode ref = ConfigReader.MAPPER.readTree(RefData.models().resolve(folder).resolve("prune.json").toFile())
                .get("student_key_to_teacher_key");
        Map<String, String> expected = new TreeMap<>();
        ref.fields().forEachRemaining(e -> expected.put(e.getKey(), e.getValue().asText()));
        assertEquals(expected, new TreeMap<>(p.keyMap()));
    }

    /** The teacher tensors nobody maps are exactly those under the removed blocks. */
    @ParameterizedTest
    @CsvSource({"base, unet_bk_base", "tiny, unet_bk_tiny"})
    void removedBlocksCoverExactlyTheTeacherTensorsPrepareUnetDropped(String variant, String folder) throws Exception {
        PrunePlan p = PrunePlan.derive(refTeacher(), PruneSpec.builtIn(variant));
        JsonNode ref = ConfigReader.MAPPER.readTree(RefData.models().resolve(folder).resolve("prune.json").toFile())
                .get("student_key_to_teacher_key");
        TreeSet<String> used = new TreeSet<>();
        ref.fields().forEachRemaining(e -> used.add(e.getValue().asText()));
        try (SafetensorsFile teacher = SafetensorsFile.open(RefData.models().resolve(
                "unet/diffusion_pytorch_model.safetensors"))) {
            for (String k : teacher.names()) {
                boolean removed = p.removed().stream().anyMatch(r -> k.startsWith(r + "."));
                assertNotEquals(used.contains(k), removed, k);
            }
        }
        List<String> expectTiny = List.of("down_blocks.0.resnets.1", "down_blocks.0.attentions.1",
                "down_blocks.1.resnets.1", "down_blocks.1.attentions.1", "down_blocks.2.resnets.1",
                "down_blocks.2.attentions.1", "down_blocks.2.downsamplers.0", "down_blocks.3", "mid_block",
                "up_blocks.0", "up_blocks.1.resnets.1", "up_blocks.1.attentions.1", "up_blocks.2.resnets.1",
                "up_blocks.2.attentions.1", "up_blocks.3.resnets.1", "up_blocks.3.attentions.1");
        if (variant.equals("tiny")) {
            assertEquals(new TreeSet<>(expectTiny), new TreeSet<>(p.removed()));
        }
    }

    /** Written student weights are the prepare_unet students' tensors, byte for byte, under the same names. */
    @ParameterizedTest
    @CsvSource({"base, unet_bk_base", "tiny, unet_bk_tiny"})
    void writtenWeightsAreBitEqualToPrepareUnets(String variant, String folder, @TempDir Path tmp) throws Exception {
        PrunePlan p = PrunePlan.derive(refTeacher(), PruneSpec.builtIn(variant));
        Pruner.writeUnet(p, RefData.models().resolve("unet"), tmp, "sd-tiny/unet");
        try (SafetensorsFile ours = SafetensorsFile.open(tmp.resolve(UNet2DConditionModel.WEIGHTS_NAME));
                SafetensorsFile ref = SafetensorsFile.open(RefData.models().resolve(folder)
                        .resolve("diffusion_pytorch_model.safetensors"))) {
            assertEquals(new TreeSet<>(ref.names()), new TreeSet<>(ours.names()));
            for (String k : ref.names()) {
                SafetensorsEntry a = ref.entry(k);
                SafetensorsEntry b = ours.entry(k);
                assertEquals(a.dtype(), b.dtype(), k);
                assertEquals(a.shape(), b.shape(), k);
                assertEquals(ref.rawBytes(k), ours.rawBytes(k), k);
            }
        }
        UNet2DConditionConfig saved = UNet2DConditionConfig.read(tmp.resolve("config.json"));
        assertEquals(p.student().toBuilder().build().blockOutChannels(), saved.blockOutChannels());
        ObjectNode lineage = PrunePlan.lineageOf(saved);
        assertNotNull(lineage, "config.json records its lineage");
        assertEquals(variant, lineage.get("variant").asText());
        assertEquals("sd-tiny/unet", lineage.get("teacher").asText());
        assertEquals(p.removed().size(), lineage.get("removed_blocks").size());
        // the record lives under an underscore key, which diffusers' from_config ignores
        Iterator<String> names = ConfigReader.MAPPER.readTree(tmp.resolve("config.json").toFile()).fieldNames();
        List<String> custom = new ArrayList<>();
        names.forEachRemaining(n -> {
            if (n.startsWith("_bkd")) {
                custom.add(n);
            }
        });
        assertEquals(List.of(PrunePlan.LINEAGE_KEY), custom);
    }

    /** A 3-stage teacher with uneven widths: base works; tiny cannot join stage 1 (64) to stage 2 (48). */
    @Test
    void anyWidthsAndStageCounts() {
        UNet2DConditionConfig t = UNet2DConditionConfig.builder().blockOutChannels(32, 64, 64).normNumGroups(8)
                .downBlockTypes(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                        UNetBlockType.DownBlock2D)
                .upBlockTypes(UNetBlockType.UpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                        UNetBlockType.CrossAttnUpBlock2D)
                .crossAttentionDim(16).attentionHeadDim(2).layersPerBlock(3).build();
        PrunePlan base = PrunePlan.derive(t, PruneSpec.builtIn("base"));
        assertEquals(List.of(1, 1, 1), base.student().layersPerBlock());
        // with 3 layers per block, the up resnet whose input width matches is the last (index 3)
        assertEquals(List.of(0, 3), base.blocks().get(base.blocks().size() - 1).resnets());
        PrunePlan tiny = PrunePlan.derive(t, PruneSpec.builtIn("tiny"));
        assertEquals(List.of(32, 64), tiny.student().blockOutChannels());
        assertEquals("up_blocks.1", tiny.blocks().get(2).teacher());
        assertEquals("up_blocks.0", tiny.blocks().get(2).student());

        UNet2DConditionConfig uneven = t.toBuilder().blockOutChannels(32, 48, 64).build();
        PruneSpecException e = assertThrows(PruneSpecException.class,
                () -> PrunePlan.derive(uneven, PruneSpec.builtIn("tiny")));
        assertTrue(e.getMessage().contains("does not fit this teacher")
                && e.getMessage().contains("up_blocks.0.resnets.0"), e.getMessage());
    }

    @Test
    void studentWeightsRefuseATeacherFileThatDisagreesWithItsConfig() {
        PrunePlan p = PrunePlan.derive(refTeacher(), PruneSpec.builtIn("tiny"));
        Map<String, ai.djl.ndarray.NDArray> none = new LinkedHashMap<>();
        PruneException e = assertThrows(PruneException.class,
                () -> p.studentWeights(dev.bkd.core.weights.StateDict.of(none), "empty.safetensors"));
        assertTrue(e.getMessage().contains("empty.safetensors") && e.getMessage().contains("conv_in.weight"),
                e.getMessage());
        assertTrue(Files.isRegularFile(RefData.models().resolve("unet/config.json")));
    }
}
