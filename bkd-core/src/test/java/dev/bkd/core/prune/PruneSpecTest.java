package dev.bkd.core.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PruneSpecTest {
    static final UNet2DConditionConfig TEACHER = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));

    static PrunePlan plan(String json) {
        return PrunePlan.derive(TEACHER, PruneSpec.parse("my.json", json));
    }

    static String error(String json) {
        return assertThrows(PruneSpecException.class, () -> plan(json)).getMessage();
    }

    @Test
    void builtInsAndAliases() {
        assertEquals(List.of("base", "small", "tiny"), PruneSpec.builtIns().stream().map(PruneSpec::name).toList());
        assertEquals("base", PruneSpec.resolve("sd_small").name());
        assertEquals("tiny", PruneSpec.resolve("SD_TINY").name());
        assertTrue(PruneSpec.describeBuiltIns().contains("sd_small = base")
                && PruneSpec.describeBuiltIns().contains("sd_tiny = tiny"), PruneSpec.describeBuiltIns());
        String m = assertThrows(PruneSpecException.class, () -> PruneSpec.resolve("huge")).getMessage();
        assertTrue(m.contains("\"huge\"") && m.contains("base, small, tiny"), m);
    }

    @Test
    void aSpecFileInPerBlockFormEqualsTheBuiltInTiny(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("tiny-by-hand.json");
        Files.writeString(f, """
                {"down_blocks": [{"resnets": [0]}, {"resnets": [0]}, {"resnets": [0], "attentions": [0]}, null],
                 "up_blocks": [null, {"resnets": [0, 2]}, {"resnets": [0, -1]}, {"resnets": [0, 2]}],
                 "mid_block": false, "drop_innermost_stage": true}
                """);
        PruneSpec s = PruneSpec.resolve(f.toString());
        assertEquals("tiny-by-hand", s.name());
        PrunePlan byHand = PrunePlan.derive(TEACHER, s);
        PrunePlan builtIn = PrunePlan.derive(TEACHER, PruneSpec.builtIn("tiny"));
        assertEquals(builtIn.keyMap(), byHand.keyMap());
        assertEquals(builtIn.student(), byHand.student());
    }

    @Test
    void keepingEverythingIsTheTeacher() {
        PrunePlan p = plan("{}");
        assertEquals(TEACHER, p.student());
        assertTrue(p.removed().isEmpty());
        assertEquals(p.teacherParameters(), p.studentParameters());
    }

    @Test
    void onlyTheMidBlock() {
        PrunePlan p = plan("{\"mid_block\": false}");
        assertEquals(List.of("mid_block"), p.removed());
        assertNull(p.student().midBlockType());
        assertEquals(TEACHER.layersPerBlock(), p.student().layersPerBlock());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"drop_mid\": true}| field `drop_mid` is not a prune spec field",
        "{\"down_blocks\": {\"resnet\": [0]}}| field `down_blocks.resnet` is not a prune spec field",
        "{\"mid_block\": \"no\"}| field `mid_block` must be true or false",
        "{\"down_blocks\": {\"resnets\": [0.5]}}| field `down_blocks.resnets` must be a list of integers",
        "{\"down_blocks\": {\"resnets\": []}}| field `down_blocks.resnets` is empty",
        "{\"down_blocks\": {\"attentions\": [0]}}| field `down_blocks.resnets` is required",
        "{\"down_blocks\": [0]}| field `down_blocks[0]` must be {\"resnets\": [...]} or null",
        "[1]| a prune spec is a JSON object",
        "{\"down_blocks\": | invalid JSON",
    })
    void malformedSpecs(String json, String expected) {
        String m = assertThrows(PruneSpecException.class, () -> PruneSpec.parse("my.json", json)).getMessage();
        assertTrue(m.startsWith("my.json: ") && m.contains(expected), m);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // index out of range, with the teacher block and its count
        "{\"down_blocks\": {\"resnets\": [2]}, \"up_blocks\": {\"resnets\": [0, 2]}}"
            + "| `down_blocks.resnets` index 2 is out of range: teacher down_blocks.0 has 2 resnets",
        "{\"up_blocks\": {\"resnets\": [0, 1, -4]}}| `up_blocks.resnets` index -4 is out of range",
        // up blocks need layers_per_block + 1 resnets
        "{\"down_blocks\": {\"resnets\": [0]}}| `up_blocks.resnets` keeps 3 resnets of teacher up_blocks.0, but"
            + " diffusers builds layers_per_block + 1 = 2 resnets",
        "{\"down_blocks\": {\"resnets\": [1, 0]}}| must name each teacher index once, in increasing order",
        "{\"down_blocks\": {\"resnets\": [0], \"attentions\": [0, 1]}, \"up_blocks\": {\"resnets\": [0, 2]}}"
            + "| `down_blocks.attentions` keeps 2 attentions but 1 resnets",
        "{\"down_blocks\": [{\"resnets\": [0]}]}| `down_blocks` has 1 entries but the teacher has 4 down blocks",
        "{\"drop_innermost_stage\": true, \"down_blocks\": [{\"resnets\": [0]}, {\"resnets\": [0]}, {\"resnets\": [0]},"
            + " {\"resnets\": [0]}]}| `down_blocks[3]` describes a block that drop_innermost_stage removes",
        "{\"up_blocks\": [null, {\"resnets\": [0]}, {\"resnets\": [0]}, {\"resnets\": [0]}]}"
            + "| `up_blocks[0]` is null, but only the innermost stage can be dropped",
        // shapes: teacher up resnet 1 takes c + c, the student's second resnet gets the narrower skip
        "{\"down_blocks\": {\"resnets\": [0]}, \"up_blocks\": {\"resnets\": [0, 1]}}"
            + "| does not fit this teacher",
    })
    void specsThatDoNotFitTheTeacher(String json, String expected) {
        String m = error(json);
        assertTrue(m.startsWith("my.json: ") && m.contains(expected), m);
    }
}
