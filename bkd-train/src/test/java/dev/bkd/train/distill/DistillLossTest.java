package dev.bkd.train.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss on the reference block outputs of ref/bksdm.safetensors against ref/bksdm_losses.json. */
class DistillLossTest {
    static final double BAR = 1e-4;
    static NDManager manager;
    static Map<String, NDArray> ref;
    static JsonNode json;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("bksdm.safetensors"), manager);
        json = BkSdmRef.losses();
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    /** The reference's block outputs of {@code who} (teacher, sd_small, sd_tiny) under module paths. */
    static Map<String, NDArray> features(String who, List<String> paths) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String p : paths) {
            out.put(p, ref.get(who + "." + BkSdmRef.shortName(p)));
        }
        return out;
    }

    static DistillLoss.Terms segmind(String variant, String who) {
        KdSpec spec = KdPresets.resolve("segmind", variant);
        return new DistillLoss(spec).compute(ref.get(who + ".pred"), ref.get("teacher_pred"), ref.get("noise"),
                features(who, spec.studentTaps()), features("teacher", spec.teacherTaps()));
    }

    @Test
    void segmindSmallEqualsReference() {
        BkSdmRef.check("sd_small", segmind("sd_small", "sd_small"), KdPresets.resolve("segmind", "sd_small"));
    }

    @Test
    void segmindTinyEqualsReference() {
        BkSdmRef.check("sd_tiny", segmind("sd_tiny", "sd_tiny"), KdPresets.resolve("segmind", "sd_tiny"));
    }

    @Test
    void bkSdmBaseSumsItsEightPairsWithoutMid() {
        KdSpec spec = KdPresets.resolve("bk-sdm", "base");
        assertEquals(new LossWeights(1, 1, 1), spec.weights());
        assertFalse(spec.studentTaps().contains("mid_block"));
        DistillLoss.Terms t = new DistillLoss(spec).compute(ref.get("sd_small.pred"), ref.get("teacher_pred"),
                ref.get("noise"), features("sd_small", spec.studentTaps()), features("teacher", spec.teacherTaps()));
        JsonNode j = json.get("sd_small");
        double feat = 0;
        for (FeaturePair p : spec.pairs()) {
            feat += j.get("feature_terms").get(BkSdmRef.termKey(p)).asDouble();
        }
        assertEquals(8, spec.pairs().size());
        assertTrue(BkSdmRef.rel("bk-sdm base kd_feat", t.feat().getFloat(), feat) < BAR);
        double total = j.get("loss_task").asDouble() + j.get("loss_kd_output").asDouble() + feat;
        assertTrue(BkSdmRef.rel("bk-sdm base total", t.total().getFloat(), total) < BAR);
    }

    @Test
    void presetTablesAreData() {
        assertEquals(List.of("bk-sdm", "segmind"), KdPresets.names());
        assertEquals(KdPresets.resolve("segmind", "base"), KdPresets.resolve("segmind", "sd_small"));
        KdSpec tiny = KdPresets.resolve("bk-sdm", "tiny");
        assertEquals(new FeaturePair("down_blocks.2.attentions.1.proj_out", "down_blocks.2.attentions.0.proj_out"),
                tiny.pairs().get(2));
        assertEquals(List.of("up_blocks.1", "up_blocks.2", "up_blocks.3"), tiny.teacherTaps().subList(3, 6));
        assertEquals(List.of("up_blocks.0", "up_blocks.1", "up_blocks.2"), tiny.studentTaps().subList(3, 6));
        assertEquals(new LossWeights(1, 0.5, 0.5), KdPresets.resolve("segmind", "tiny").weights());
        ConfigException e = assertThrows(ConfigException.class, () -> KdPresets.resolve("segmind", "small"));
        assertTrue(e.getMessage().contains("--pairs"), e.getMessage());
        assertThrows(ConfigException.class, () -> KdPresets.resolve("nope", "base"));
    }

    @Test
    void pairsFileOverridesWhatItSets(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("pairs.json");
        Files.writeString(f, "{\"lambda\": {\"feat\": 2.5}, \"pairs\": [[\"mid_block\", \"down_blocks.3\"]]}");
        KdSpec s = KdPresets.applyFile(KdPresets.resolve("bk-sdm", "base"), f);
        assertEquals(new LossWeights(1, 1, 2.5), s.weights());
        assertEquals(List.of(new FeaturePair("mid_block", "down_blocks.3")), s.pairs());

        Files.writeString(f, "{\"pairs\": [[\"mid_block\"]]}");
        ConfigException bad = assertThrows(ConfigException.class,
                () -> KdPresets.applyFile(KdPresets.resolve("bk-sdm", "base"), f));
        assertTrue(bad.getMessage().contains("pairs.json") && bad.getMessage().contains("pairs[0]"), bad.getMessage());
        Files.writeString(f, "{\"lambda\": {\"feat\": -1}}");
        assertThrows(ConfigException.class, () -> KdPresets.applyFile(KdPresets.resolve("bk-sdm", "base"), f));
        Files.writeString(f, "{\"lambda\": {\"fet\": 1}}");
        assertTrue(assertThrows(ConfigException.class, () -> KdPresets.applyFile(KdPresets.resolve("bk-sdm", "base"), f))
                .getMessage().contains("lambda.fet"));
    }

    @Test
    void mismatchedShapesNameEveryBadPair() {
        KdSpec spec = KdPresets.resolve("bk-sdm", "base");
        Map<String, Shape> t = new LinkedHashMap<>();
        Map<String, Shape> s = new LinkedHashMap<>();
        for (FeaturePair p : spec.pairs()) {
            t.put(p.teacher(), new Shape(1, 32, 4, 4));
            s.put(p.student(), new Shape(1, 32, 4, 4));
        }
        new DistillLoss(spec).checkShapes(t, s);
        s.put("down_blocks.1", new Shape(1, 16, 4, 4));
        s.remove("up_blocks.3");
        FeatureShapeException e = assertThrows(FeatureShapeException.class, () -> new DistillLoss(spec).checkShapes(t, s));
        assertTrue(e.getMessage().contains("down_blocks.1~down_blocks.1") && e.getMessage().contains("(1, 16, 4, 4)")
                && e.getMessage().contains("up_blocks.3~up_blocks.3"), e.getMessage());
    }

    @Test
    void studentSideMustStayFloat32() {
        NDArray half = ref.get("noise").toType(DataType.FLOAT16, false);
        assertThrows(IllegalArgumentException.class, () -> DistillLoss.mse(half, ref.get("noise"), "x"));
        // the teacher side is cast: a float16 teacher gives the float32 answer up to fp16 rounding
        double d = DistillLoss.mse(ref.get("sd_small.pred"), ref.get("teacher_pred").toType(DataType.FLOAT16, false), "t")
                .getFloat();
        assertEquals(json.at("/sd_small/loss_kd_output").asDouble(), d, 1e-3 * d);
    }
}
