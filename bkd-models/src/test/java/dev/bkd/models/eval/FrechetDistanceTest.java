package dev.bkd.models.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.testing.RefData;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fréchet distance and statistics against pytorch-fid's values (ref/frechet.safetensors), and the eigen-solver. */
class FrechetDistanceTest {
    static NDManager manager;
    static Map<String, NDArray> ref;
    static Map<String, NDArray> clip;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        ref = RefData.load(RefData.file("eval", "ref/frechet.safetensors"), manager);
        clip = RefData.load(RefData.file("eval", "ref/clip_score.safetensors"), manager);
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    static double scalar(String key) {
        return ref.get(key).toDoubleArray()[0];
    }

    static double[][] matrix(NDArray a) {
        int n = (int) a.getShape().get(0);
        int m = (int) a.getShape().get(1);
        double[] flat = a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * m, out[i], 0, m);
        }
        return out;
    }

    static float[][] rows(NDArray a) {
        double[][] d = matrix(a);
        float[][] out = new float[d.length][];
        for (int i = 0; i < d.length; i++) {
            out[i] = new float[d[i].length];
            for (int j = 0; j < d[i].length; j++) {
                out[i][j] = (float) d[i][j];
            }
        }
        return out;
    }

    static double fromStored(String c) {
        return FrechetDistance.distance(ref.get(c + ".mu1").toDoubleArray(), matrix(ref.get(c + ".sigma1")),
                ref.get(c + ".mu2").toDoubleArray(), matrix(ref.get(c + ".sigma2")));
    }

    @Test
    void distancesFromStoredStatisticsEqualPytorchFid() {
        assertEquals(scalar("gauss.fd"), fromStored("gauss"), 1e-9 * scalar("gauss.fd"));
        assertEquals(0.0, fromStored("same"), 1e-10);
        assertEquals(scalar("singular.fd"), fromStored("singular"), 1e-6 * scalar("singular.fd"));
        assertEquals(scalar("clip.fd"), fromStored("clip"), 1e-6 * scalar("clip.fd"));
        assertEquals(scalar("clip_norm.fd"), fromStored("clip_norm"), 1e-6 * scalar("clip_norm.fd"));
    }

    @Test
    void statisticsFromSamplesEqualNumpyMeanAndCov() {
        for (String c : new String[] {"gauss", "singular"}) {
            NDArray x = ref.get(c + ".x");
            float[][] xs = rows(x);
            // the samples are float64; statistics() takes float32 features, so compare through the float64 path
            double[][] xd = matrix(x);
            FrechetDistance.Statistics s = FrechetDistance.statistics(xs);
            double[] mu = ref.get(c + ".mu1").toDoubleArray();
            for (int j = 0; j < mu.length; j++) {
                assertEquals(mu[j], s.mu()[j], 1e-6 * (1 + Math.abs(mu[j])), c + " mu " + j);
            }
            double[][] sigma = matrix(ref.get(c + ".sigma1"));
            for (int i = 0; i < sigma.length; i++) {
                for (int j = 0; j < sigma.length; j++) {
                    assertEquals(sigma[i][j], s.sigma()[i][j], 1e-5 * (1 + Math.abs(sigma[i][j])), c + " sigma");
                }
            }
            assertEquals(xd.length, s.count());
        }
        // FD-CLIP end to end from the embeddings (float32 in the reference, so this path is exact)
        float[][] emb = rows(clip.get("pil.image_embeds"));
        double fd = FrechetDistance.between(new float[][] {emb[0], emb[1], emb[2]},
                new float[][] {emb[3], emb[4], emb[5]});
        assertEquals(scalar("clip.fd"), fd, 1e-6 * scalar("clip.fd"));
        // fewer samples than dimensions: the sample-space route, against pytorch-fid's scipy sqrtm
        float[][] sx = rows(ref.get("singular.x"));
        float[][] sy = rows(ref.get("singular.y"));
        double viaSamples = FrechetDistance.between(sx, sy);
        double viaStatistics = FrechetDistance.distance(FrechetDistance.statistics(sx), FrechetDistance.statistics(sy));
        assertEquals(viaStatistics, viaSamples, 1e-8 * viaStatistics); // the d x d route loses ~1e-7 on a singular Σ
        assertEquals(scalar("singular.fd"), viaSamples, 1e-5 * scalar("singular.fd"));
    }

    @Test
    void eigenDecompositionReconstructsARandomSymmetricMatrix() {
        Random r = new Random(7);
        int n = 40;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = r.nextGaussian();
            }
        }
        SymmetricEigen e = SymmetricEigen.of(a);
        double[] l = e.values();
        double[][] v = e.vectors();
        double trace = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            trace += a[i][i];
            sum += l[i];
            // A v = λ v and |v| = 1
            double norm = 0;
            for (int k = 0; k < n; k++) {
                double av = 0;
                for (int j = 0; j < n; j++) {
                    av += a[k][j] * v[i][j];
                }
                assertEquals(l[i] * v[i][k], av, 1e-10);
                norm += v[i][k] * v[i][k];
            }
            assertEquals(1.0, norm, 1e-12);
        }
        assertEquals(trace, sum, 1e-10);
    }

    @Test
    void badInputsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.statistics(new float[][] {{1f, 2f}}));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(new float[][] {{1f, 2f}, {2f, 1f}}, new float[][] {{1f}, {2f}}));
    }
}
