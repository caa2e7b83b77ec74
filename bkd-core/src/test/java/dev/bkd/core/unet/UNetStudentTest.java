package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.prune.PrunePlan;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Block-removed BK-SDM students (Segmind sd_small / sd_tiny, made by segmind/distill-sd's prepare_unet) built
 * from configs derived by {@link PrunePlan}, against their predictions and block outputs in ref/bksdm.safetensors.
 */
class UNetStudentTest {
    static NDManager manager;
    static Map<String, NDArray> ref;
    static UNet2DConditionConfig teacher;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("bksdm.safetensors"), manager);
        teacher = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    /** BK-SDM base = Segmind sd_small, derived from the teacher config by the built-in prune variant. */
    static UNet2DConditionConfig small() {
        return PrunePlan.derive(teacher, PruneSpec.builtIn("sd_small")).student();
    }

    /** BK-SDM tiny = Segmind sd_tiny: additionally no mid block, no down_blocks.3 / up_blocks.0. */
    static UNet2DConditionConfig tiny() {
        return PrunePlan.derive(teacher, PruneSpec.builtIn("sd_tiny")).student();
    }

    @Test
    void teacherBlocksMatch() {
        try (UNet2DConditionModel t = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"),
                UNet2DConditionModel.Options.defaults())) {
            run(t, "teacher", "teacher_pred", new String[] {"d0", "d1", "d2", "d3", "m", "u0", "u1", "u2", "u3"});
        }
    }

    @Test
    void smallStudentMatchesPrepareUnet() {
        UNet2DConditionModel s = student(small(), "unet_bk_base");
        assertEquals(549_060, s.parameterCount(), "sd_small student_num_params in bksdm.safetensors metadata");
        run(s, "sd_small", "sd_small.pred", new String[] {"d0", "d1", "d2", "d3", "m", "u0", "u1", "u2", "u3"});
    }

    @Test
    void tinyStudentMatchesPrepareUnet() {
        UNet2DConditionModel s = student(tiny(), "unet_bk_tiny");
        assertEquals(381_124, s.parameterCount(), "sd_tiny student_num_params in bksdm.safetensors metadata");
        assertFalse(s.tapPaths().contains("mid_block"));
        assertFalse(s.tapPaths().contains("down_blocks.2.downsamplers.0"), "last down block has no downsampler");
        run(s, "sd_tiny", "sd_tiny.pred", new String[] {"d0", "d1", "d2", "u0", "u1", "u2"});
    }

    private static UNet2DConditionModel student(UNet2DConditionConfig c, String folder) {
        Path file = RefData.models().resolve(folder).resolve("diffusion_pytorch_model.safetensors");
        try (StateDict sd = StateDicts.open(file)) {
            return UNet2DConditionModel.fromStateDict(c, sd, manager, UNet2DConditionModel.Options.defaults(),
                    file.toString());
        }
    }

    private static void run(UNet2DConditionModel m, String prefix, String predKey, String[] blocks) {
        Map<String, String> paths = new LinkedHashMap<>();
        for (String b : blocks) {
            String path = b.equals("m") ? "mid_block"
                    : (b.charAt(0) == 'd' ? "down_blocks." : "up_blocks.") + b.substring(1);
            paths.put(path, prefix + "." + b);
        }
        UNet2DConditionModel.Output o = m.forward(ref.get("noisy_latents"), ref.get("timesteps"),
                ref.get("encoder_hidden_states"), paths.keySet());
        double worst = UNetReferenceTest.check(prefix + " pred", ref.get(predKey), o.sample());
        for (Map.Entry<String, String> e : paths.entrySet()) {
            worst = Math.max(worst, UNetReferenceTest.check(prefix + " " + e.getKey(), ref.get(e.getValue()),
                    o.features().get(e.getKey())));
        }
        System.out.printf("UNet %s worst %.3g%n", prefix, worst);
    }
}
