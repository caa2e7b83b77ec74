package dev.bkd.train.distill;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.io.UncheckedIOException;

/** ref/bksdm_losses.json and the short block names (d0, m, u3) the reference uses for module paths. */
final class BkSdmRef {
    private BkSdmRef() {}

    static JsonNode losses() {
        try {
            return ConfigReader.MAPPER.readTree(RefData.ref("bksdm_losses.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code down_blocks.2} -> {@code d2}, {@code mid_block} -> {@code m}, {@code up_blocks.0} -> {@code u0}. */
    static String shortName(String path) {
        if (path.equals("mid_block")) {
            return "m";
        }
        String[] p = path.split("\\.");
        if (p.length != 2) {
            throw new IllegalArgumentException("no reference name for " + path);
        }
        return (p[0].equals("down_blocks") ? "d" : "u") + p[1];
    }

    /** The json key of a pair's feature term: {@code teacher.u0~student.d2}. */
    static String termKey(FeaturePair p) {
        return "teacher." + shortName(p.teacher()) + "~student." + shortName(p.student());
    }

    /** |got - want| / |want|, printed. */
    static double rel(String what, double got, double want) {
        double r = Math.abs(got - want) / Math.abs(want);
        System.out.printf("%-40s got %.9g want %.9g rel %.2e%n", what, got, want, r);
        return r;
    }

    /** Asserts every loss term of {@code t} (segmind weights 1/0.5/0.5) against the json entry {@code key}. */
    static void check(String key, DistillLoss.Terms t, KdSpec spec) {
        JsonNode j = losses().get(key);
        assertEquals(j.get("feature_pairs").size(), spec.pairs().size(), "pair count of " + spec.source());
        for (int i = 0; i < spec.pairs().size(); i++) {
            FeaturePair p = spec.pairs().get(i);
            JsonNode want = j.get("feature_pairs").get(i);
            assertEquals(want.get(0).asText() + "/" + want.get(1).asText(),
                    BkSdmRef.shortName(p.teacher()) + "/" + BkSdmRef.shortName(p.student()), "pair " + i);
        }
        assertTrue(rel(key + " task", t.task().getFloat(), j.get("loss_task").asDouble()) < 1e-4);
        assertTrue(rel(key + " kd_out", t.out().getFloat(), j.get("loss_kd_output").asDouble()) < 1e-4);
        assertTrue(rel(key + " kd_feat", t.feat().getFloat(), j.get("loss_kd_features").asDouble()) < 1e-4);
        for (FeaturePair p : spec.pairs()) {
            double want = j.get("feature_terms").get(BkSdmRef.termKey(p)).asDouble();
            assertTrue(rel(key + " " + p.key(), t.pairs().get(p.key()).getFloat(), want) < 1e-4);
        }
        // the reference's total uses λ 1/1/1; ours weights out and feat by 0.5 (segmind defaults)
        double want = j.get("loss_task").asDouble() + 0.5 * j.get("loss_kd_output").asDouble()
                + 0.5 * j.get("loss_kd_features").asDouble();
        assertTrue(rel(key + " total (1/0.5/0.5)", t.total().getFloat(), want) < 1e-4);
        assertEquals(j.get("loss_total_w1_1").asDouble(), j.get("loss_task").asDouble()
                + j.get("loss_kd_output").asDouble() + j.get("loss_kd_features").asDouble(), 1e-6,
                "the reference total is the plain sum");
    }

}
