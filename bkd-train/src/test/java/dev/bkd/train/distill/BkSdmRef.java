package dev.bkd.train.distill;

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
}
