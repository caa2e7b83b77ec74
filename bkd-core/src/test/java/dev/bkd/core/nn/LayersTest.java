package dev.bkd.core.nn;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Layer maths against plain-Java double computations. */
class LayersTest {
    @Test
    void geluIsTheExactErfForm() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xs = {-3f, -1.5f, -0.3f, 0f, 0.4f, 1f, 2.5f};
            float[] got = Activations.gelu(m.create(xs)).toFloatArray();
            for (int i = 0; i < xs.length; i++) {
                double x = xs[i];
                double want = 0.5 * x * (1 + erf(x / Math.sqrt(2)));
                assertEquals(want, got[i], 1e-6, "gelu(" + x + ")");
            }
        }
    }

    @Test
    void linearConvAndEmbeddingMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear lin = new Linear(3, 2, true);
            lin.initializeRandom(m, DataType.FLOAT32);
            float[] w = lin.p("weight").toFloatArray();
            float[] b = lin.p("bias").toFloatArray();
            float[] x = {0.5f, -1f, 2f};
            float[] y = lin.forward(m.create(x, new Shape(1, 3))).toFloatArray();
            for (int o = 0; o < 2; o++) {
                double s = b[o];
                for (int i = 0; i < 3; i++) {
                    s += w[o * 3 + i] * x[i];
                }
                assertEquals(s, y[o], 1e-5);
            }

            Conv2d conv = new Conv2d(1, 1, 3, 2, 1);
            conv.initializeRandom(m, DataType.FLOAT32);
            float[] k = conv.p("weight").toFloatArray();
            float cb = conv.p("bias").getFloat(0);
            float[] img = new float[25];
            for (int i = 0; i < 25; i++) {
                img[i] = (i % 7) - 3;
            }
            NDArray out = conv.forward(m.create(img, new Shape(1, 1, 5, 5)));
            assertEquals(new Shape(1, 1, 3, 3), out.getShape());
            float[] o = out.toFloatArray();
            for (int oy = 0; oy < 3; oy++) {
                for (int ox = 0; ox < 3; ox++) {
                    double s = cb;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy * 2 - 1 + ky;
                            int ix = ox * 2 - 1 + kx;
                            if (iy >= 0 && iy < 5 && ix >= 0 && ix < 5) {
                                s += k[ky * 3 + kx] * img[iy * 5 + ix];
                            }
                        }
                    }
                    assertEquals(s, o[oy * 3 + ox], 1e-5);
                }
            }

            Embedding emb = new Embedding(5, 2);
            emb.initializeRandom(m, DataType.FLOAT32);
            float[] table = emb.p("weight").toFloatArray();
            NDArray e = emb.forward(m.create(new long[] {4, 0, 4, 2}, new Shape(2, 2)));
            assertEquals(new Shape(2, 2, 2), e.getShape());
            float[] ev = e.toFloatArray();
            assertEquals(table[8], ev[0]);
            assertEquals(table[9], ev[1]);
            assertEquals(table[0], ev[2]);
            assertEquals(table[4], ev[6]);
        }
    }

    @Test
    void groupNormMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNorm gn = new GroupNorm(2, 4, 1e-5f);
            gn.initializeRandom(m, DataType.FLOAT32);
            gn.setParam("weight", m.create(new float[] {1f, 2f, -1f, 0.5f}));
            gn.setParam("bias", m.create(new float[] {0f, 1f, 0f, -2f}));
            float[] x = new float[4 * 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i * 1.3) * 3;
            }
            float[] y = gn.forward(m.create(x, new Shape(1, 4, 3))).toFloatArray();
            float[] gw = {1f, 2f, -1f, 0.5f};
            float[] gb = {0f, 1f, 0f, -2f};
            for (int g = 0; g < 2; g++) {
                double mean = 0;
                double var = 0;
                for (int i = g * 6; i < g * 6 + 6; i++) {
                    mean += x[i] / 6.0;
                }
                for (int i = g * 6; i < g * 6 + 6; i++) {
                    var += (x[i] - mean) * (x[i] - mean) / 6.0;
                }
                for (int i = g * 6; i < g * 6 + 6; i++) {
                    int c = i / 3;
                    double want = (x[i] - mean) / Math.sqrt(var + 1e-5) * gw[c] + gb[c];
                    assertEquals(want, y[i], 1e-5);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> new GroupNorm(3, 4, 1e-5f));
        }
    }

    /** Abramowitz-Stegun 7.1.26 is too coarse; use a series/continued fraction accurate to 1e-12. */
    static double erf(double x) {
        double t = Math.abs(x);
        double sum = t;
        double term = t;
        for (int n = 1; n < 200; n++) {
            term *= -t * t / n;
            sum += term / (2 * n + 1);
        }
        double r = 2 / Math.sqrt(Math.PI) * sum;
        return x < 0 ? -r : r;
    }
}
