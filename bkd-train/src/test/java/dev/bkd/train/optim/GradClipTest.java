package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradClipTest {
    @Test
    void belowTheLimitNothingChangesAndTheNormIsReturned() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, 4f});
            NDArray b = m.create(new float[][] {{12f}});
            double norm = GradClip.clipGlobalNorm(List.of(a, b), 26.0);
            assertEquals(13.0, norm, 1e-5); // sqrt(9 + 16 + 144)
            assertArrayEquals(new float[] {3f, 4f}, a.toFloatArray());
            assertArrayEquals(new float[] {12f}, b.toFloatArray());
        }
    }

    @Test
    void aboveTheLimitEveryGradientIsScaledByMaxOverNormPlusEps() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {3f, -4f});
            NDArray b = m.create(new float[] {12f});
            double norm = GradClip.clipGlobalNorm(List.of(a, b), 1.0);
            assertEquals(13.0, norm, 1e-5);
            double coef = 1.0 / (13.0 + 1e-6);
            assertArrayEquals(new float[] {(float) (3 * coef), (float) (-4 * coef)}, a.toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {(float) (12 * coef)}, b.toFloatArray(), 1e-6f);
            double after = Math.sqrt(Math.pow(a.getFloat(0), 2) + Math.pow(a.getFloat(1), 2) + Math.pow(b.getFloat(0), 2));
            assertEquals(1.0, after, 1e-5);
        }
    }

    @Test
    void nonFiniteNormIsReportedAndGradientsAreNotTouched() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {Float.NaN, 1f});
            double norm = GradClip.clipGlobalNorm(List.of(a), 1.0);
            assertTrue(Double.isNaN(norm));
            assertEquals(1f, a.getFloat(1));
            assertThrows(ConfigException.class, () -> GradClip.clipGlobalNorm(List.of(a), 0));
        }
    }
}
