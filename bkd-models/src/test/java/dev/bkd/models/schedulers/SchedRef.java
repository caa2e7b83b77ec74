package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Shared access to the scheduler reference data and error measures for the scheduler tests. */
final class SchedRef {
    private SchedRef() {}

    /** 1e-5 relative (to the largest reference magnitude), the parity bar for float32 results. */
    static final double TOL = 1e-5;

    /** Stable Diffusion's shipped scheduler_config.json (PNDM, scaled_linear, steps_offset 1). */
    static SchedulerConfig sdConfig() {
        return SchedulerConfig.read(RefData.models().resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
    }

    static Map<String, NDArray> load(String file, NDManager m) {
        return RefData.load(RefData.ref(file), m);
    }

    static JsonNode timestepsJson() {
        try {
            return ConfigReader.MAPPER.readTree(RefData.ref("sched_timesteps.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** max |a - b| / max |b|. */
    static double rel(NDArray actual, NDArray expected) {
        double scale = Math.max(1e-30, expected.abs().max().getFloat());
        return RefData.maxAbsDiff(actual, expected) / scale;
    }

    /** max |a - b| / max |b| over plain arrays. */
    static double rel(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double scale = 1e-30;
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return worst / scale;
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** The reference data's fake UNet: eps = 0.5 * model_input + (t / 1000) * P, in float32. */
    static NDArray fakeModel(NDArray modelInput, float t, NDArray p) {
        return modelInput.mul(0.5f).add(p.mul((float) (t / 1000.0)));
    }
}
