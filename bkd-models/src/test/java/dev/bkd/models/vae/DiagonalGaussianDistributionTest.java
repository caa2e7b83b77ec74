package dev.bkd.models.vae;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.testing.RefData;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DiagonalGaussianDistributionTest {
    static NDManager manager;
    static Map<String, NDArray> ref;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.ref("vae.safetensors"), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static void assertClose(String name, NDArray expected, NDArray actual) {
        double err = RefData.maxAbsDiff(expected, actual);
        System.out.printf("vae %-30s max abs err %.3e%n", name, err);
        assertTrue(err <= 1e-4, name + ": max abs err " + err);
    }

    @Test
    void referenceMomentsGiveDiffusersPosterior() {
        DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(ref.get("moments"));
        assertClose("posterior.mean", ref.get("latent_mean"), d.mean());
        assertClose("posterior.logvar", ref.get("latent_logvar"), d.logvar());
        assertClose("posterior.std", ref.get("latent_std"), d.std());
        assertSame(d.mean(), d.mode());
    }

    @Test
    void logvarIsClampedToMinus30And20() {
        float[] m = {0, 1, 0, 0, -100, 100, 5, -5}; // (1, 8, 1, 1): mean 0,1,0,0; logvar -100,100,5,-5
        DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(manager.create(m, new Shape(1, 8, 1, 1)));
        assertArrayEquals(new float[] {-30, 20, 5, -5}, d.logvar().toFloatArray());
        assertArrayEquals(new float[] {(float) Math.exp(-15), (float) Math.exp(10), (float) Math.exp(2.5),
                (float) Math.exp(-2.5)}, d.std().toFloatArray(), 1e-6f * (float) Math.exp(10));
        // KL to N(0, I): 0.5 * sum(mean^2 + var - 1 - logvar)
        double kl = 0;
        double[] mean = {0, 1, 0, 0};
        double[] lv = {-30, 20, 5, -5};
        for (int i = 0; i < 4; i++) {
            kl += mean[i] * mean[i] + Math.exp(lv[i]) - 1 - lv[i];
        }
        assertEquals(0.5 * kl, d.kl().getFloat(0), 0.5 * kl * 1e-6);
    }

    @Test
    void sampleIsMeanPlusStdTimesTheGivenNoise() {
        DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(ref.get("moments"));
        NDArray noise = manager.randomNormal(d.mean().getShape());
        float[] mean = ref.get("latent_mean").toFloatArray();
        float[] std = ref.get("latent_std").toFloatArray();
        float[] n = noise.toFloatArray();
        float[] expected = new float[mean.length];
        for (int i = 0; i < mean.length; i++) {
            expected[i] = mean[i] + std[i] * n[i];
        }
        assertClose("sample(noise)", manager.create(expected, d.mean().getShape()), d.sample(noise));
    }

    @Test
    void seededRandomSourceIsReproducibleAndUsesItsOwnStream() {
        DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(ref.get("moments"));
        NDArray a = d.sample(new SplittableRandom(7));
        NDArray b = d.sample(new SplittableRandom(7));
        assertEquals(0.0, RefData.maxAbsDiff(a, b));
        SplittableRandom r = new SplittableRandom(7);
        float[] n = new float[(int) d.mean().getShape().size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = (float) r.nextGaussian();
        }
        assertEquals(0.0, RefData.maxAbsDiff(d.sample(manager.create(n, d.mean().getShape())), a));
        assertTrue(RefData.maxAbsDiff(a, d.sample(new SplittableRandom(8))) > 0);
    }

    @Test
    void badShapesAreReported() {
        BkdException e = assertThrows(BkdException.class,
                () -> new DiagonalGaussianDistribution(manager.zeros(new Shape(1, 7, 2, 2))));
        assertTrue(e.getMessage().contains("2 * latent_channels"), e.getMessage());
        DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(ref.get("moments"));
        BkdException n = assertThrows(BkdException.class, () -> d.sample(manager.zeros(new Shape(1, 4, 8, 8))));
        assertTrue(n.getMessage().contains("(1, 4, 8, 8)") && n.getMessage().contains("(1, 4, 16, 16)"), n.getMessage());
    }
}
