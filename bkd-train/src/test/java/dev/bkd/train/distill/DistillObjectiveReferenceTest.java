package dev.bkd.train.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.models.schedulers.NoiseSchedule;
import dev.bkd.train.loop.DiffusionBatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole distillation objective on the fixed batch of ref/bksdm.safetensors: our teacher and our pruned
 * students (prune API, weights copied from the teacher) run forward with taps, and every loss term must equal
 * ref/bksdm_losses.json within 1e-4 relative.
 */
class DistillObjectiveReferenceTest {
    static NDManager manager;
    static Map<String, NDArray> ref;
    static JsonNode json;
    static UNet2DConditionModel teacher;
    static DiffusionBatch batch;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("bksdm.safetensors"), manager);
        json = BkSdmRef.losses();
        teacher = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), manager,
                UNet2DConditionModel.Options.defaults());
        batch = new DiffusionBatch(ref.get("latents"), ref.get("noise"), ref.get("timesteps"), ref.get("noisy_latents"),
                ref.get("encoder_hidden_states"), ref.get("noise"), List.of("", ""));
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    static DistillObjective objective(String preset, String variant) {
        Students.Student s = Students.prune(RefData.models().resolve("unet"), variant, manager,
                UNet2DConditionModel.Options.defaults());
        return new DistillObjective(teacher, s.model(), KdPresets.resolve(preset, s.variant()), RefData.models());
    }

    @Test
    void segmindSmallOnOurModels() {
        DistillObjective o = objective("segmind", "sd_small");
        BkSdmRef.check("sd_small", o.terms(batch), o.spec());
    }

    @Test
    void segmindTinyOnOurModels() {
        DistillObjective o = objective("segmind", "sd_tiny");
        BkSdmRef.check("sd_tiny", o.terms(batch), o.spec());
    }

    @Test
    void bkSdmTinySharesFivePairsWithSegmind() {
        DistillObjective o = objective("bk-sdm", "tiny");
        DistillLoss.Terms t = o.terms(batch);
        JsonNode j = json.get("sd_tiny");
        assertTrue(BkSdmRef.rel("bk-sdm tiny task", t.task().getFloat(), j.get("loss_task").asDouble()) < 1e-4);
        assertTrue(BkSdmRef.rel("bk-sdm tiny kd_out", t.out().getFloat(), j.get("loss_kd_output").asDouble()) < 1e-4);
        int shared = 0;
        for (FeaturePair p : o.spec().pairs()) {
            if (p.teacher().endsWith("proj_out")) {
                assertEquals(new Shape(), t.pairs().get(p.key()).getShape());
                continue;
            }
            double want = j.get("feature_terms").get(BkSdmRef.termKey(p)).asDouble();
            assertTrue(BkSdmRef.rel("bk-sdm tiny " + p.key(), t.pairs().get(p.key()).getFloat(), want) < 1e-4);
            shared++;
        }
        assertEquals(5, shared);
    }

    @Test
    void probeAcceptsThePresetsAndNamesABadPair() {
        Shape latent = new Shape(1, 4, 16, 16);
        Shape text = new Shape(1, 77, 32);
        objective("bk-sdm", "small").probe(latent, text, manager);
        DistillObjective o = objective("bk-sdm", "tiny");
        o.probe(latent, text, manager);
        new DistillObjective(teacher, o.student(), KdPresets.resolve("segmind", "tiny"), RefData.models())
                .probe(latent, text, manager);
        KdSpec bad = o.spec().withPairs(List.of(new FeaturePair("down_blocks.2", "down_blocks.2"),
                new FeaturePair("up_blocks.0", "up_blocks.0")), "test");
        DistillObjective wrong = new DistillObjective(teacher, o.student(), bad, RefData.models());
        FeatureShapeException e = assertThrows(FeatureShapeException.class, () -> wrong.probe(latent, text, manager));
        assertTrue(e.getMessage().contains("down_blocks.2~down_blocks.2") && e.getMessage().contains("up_blocks.0~up_blocks.0"),
                e.getMessage());
        KdSpec unknown = o.spec().withPairs(List.of(new FeaturePair("mid_block", "mid_block")), "test");
        DistillObjective noMid = new DistillObjective(teacher, o.student(), unknown, RefData.models());
        assertTrue(assertThrows(dev.bkd.core.BkdException.class, () -> noMid.probe(latent, text, manager))
                .getMessage().contains("mid_block"));
    }

    @Test
    void theFixedBatchIsDdpmAddNoise() {
        SchedulerConfig cfg = SchedulerConfig.read(RefData.models().resolve("scheduler/scheduler_config.json"));
        NDArray noisy = new NoiseSchedule(cfg).addNoise(ref.get("latents"), ref.get("noise"), ref.get("timesteps"));
        double d = RefData.maxAbsDiff(noisy, ref.get("noisy_latents"));
        System.out.printf("add_noise max abs diff %.3g%n", d);
        assertTrue(d < 1e-5, "add_noise differs by " + d);
    }
}
