package dev.bkd.core.modules;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.weights.Weights;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Shared diffusers modules against plain-Java double computations written from the diffusers definitions. */
class ModulesTest {

    @Test
    void timestepsMatchTheSinusoidFormula() {
        try (NDManager m = NDManager.newBaseManager()) {
            long[] ts = {0, 1, 10, 500, 981};
            for (boolean flip : new boolean[] {true, false}) {
                for (double shift : new double[] {0, 1}) {
                    int dim = 16;
                    Timesteps tp = new Timesteps(dim, flip, shift);
                    float[] got = tp.forward(m.create(ts)).toFloatArray();
                    int half = dim / 2;
                    double worst = 0;
                    for (int n = 0; n < ts.length; n++) {
                        for (int i = 0; i < half; i++) {
                            double arg = ts[n] * Math.exp(-Math.log(10000) * i / (half - shift));
                            double s = Math.sin(arg);
                            double c = Math.cos(arg);
                            worst = Math.max(worst, Math.abs(got[n * dim + i] - (flip ? c : s)));
                            worst = Math.max(worst, Math.abs(got[n * dim + half + i] - (flip ? s : c)));
                        }
                    }
                    System.out.printf("Timesteps flip=%s shift=%s worst abs error %.3g%n", flip, shift, worst);
                    assertTrue(worst <= 1e-4, "worst " + worst);
                }
            }
            // odd width: a zero column is appended
            NDArray odd = new Timesteps(5, true, 0).forward(m.create(new long[] {3}));
            assertEquals(new Shape(1, 5), odd.getShape());
            assertEquals(0f, odd.toFloatArray()[4]);
        }
    }

    @Test
    void attentionMatchesHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            int b = 2, t = 5, s = 3, c = 8, kv = 6, heads = 2, dh = 4;
            Attention att = new Attention(Attention.Spec.transformer(c, kv, heads, dh, false));
            att.initializeRandom(m, DataType.FLOAT32);
            Map<String, NDArray> w = Weights.stateDict(att);
            assertEquals(List.of("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias"),
                    List.copyOf(w.keySet()));
            double[][] wq = mat(w.get("to_q.weight"));
            double[][] wk = mat(w.get("to_k.weight"));
            double[][] wv = mat(w.get("to_v.weight"));
            double[][] wo = mat(w.get("to_out.0.weight"));
            float[] bo = w.get("to_out.0.bias").toFloatArray();
            Random r = new Random(1);
            float[] x = randn(r, b * t * c);
            float[] ctx = randn(r, b * s * kv);
            float[] y = att.forward(m.create(x, new Shape(b, t, c)), m.create(ctx, new Shape(b, s, kv))).toFloatArray();
            double worst = 0;
            for (int n = 0; n < b; n++) {
                double[][] q = proj(x, n, t, c, wq);
                double[][] k = proj(ctx, n, s, kv, wk);
                double[][] v = proj(ctx, n, s, kv, wv);
                for (int i = 0; i < t; i++) {
                    double[] o = new double[heads * dh];
                    for (int h = 0; h < heads; h++) {
                        double[] sc = new double[s];
                        double mx = -1e300;
                        for (int j = 0; j < s; j++) {
                            for (int d = 0; d < dh; d++) {
                                sc[j] += q[i][h * dh + d] * k[j][h * dh + d];
                            }
                            sc[j] /= Math.sqrt(dh);
                            mx = Math.max(mx, sc[j]);
                        }
                        double z = 0;
                        for (int j = 0; j < s; j++) {
                            sc[j] = Math.exp(sc[j] - mx);
                            z += sc[j];
                        }
                        for (int j = 0; j < s; j++) {
                            for (int d = 0; d < dh; d++) {
                                o[h * dh + d] += sc[j] / z * v[j][h * dh + d];
                            }
                        }
                    }
                    for (int oc = 0; oc < c; oc++) {
                        double acc = bo[oc];
                        for (int ic = 0; ic < heads * dh; ic++) {
                            acc += wo[oc][ic] * o[ic];
                        }
                        worst = Math.max(worst, Math.abs(acc - y[(n * t + i) * c + oc]));
                    }
                }
            }
            System.out.printf("Attention worst abs error %.3g%n", worst);
            assertTrue(worst <= 1e-5, "worst " + worst);
        }
    }

    @Test
    void spatialAttentionAddsResidualAndRescales() {
        try (NDManager m = NDManager.newBaseManager()) {
            Attention att = new Attention(Attention.Spec.spatial(4, 4, 2, 1e-6f, 2.0));
            att.initializeRandom(m, DataType.FLOAT32);
            assertTrue(Weights.slots(att).containsKey("group_norm.weight"));
            assertTrue(Weights.slots(att).containsKey("to_q.bias"));
            NDArray x = m.randomNormal(new Shape(1, 4, 3, 2));
            // zero the output projection: the block reduces to (0 + x) / 2
            for (String k : List.of("to_out.0.weight", "to_out.0.bias")) {
                Weights.Slot sl = Weights.slots(att).get(k);
                sl.owner().setParam(sl.local(), m.zeros(sl.shape()));
            }
            NDArray y = att.forward(x, null);
            assertEquals(x.getShape(), y.getShape());
            double d = y.sub(x.div(2)).abs().max().getFloat();
            assertTrue(d < 1e-7, "residual/rescale off by " + d);
        }
    }

    @Test
    void upsampleNearestPicksTorchSourceIndices() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = new float[3 * 5];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
            }
            NDArray in = m.create(x, new Shape(1, 1, 3, 5));
            long oh = 7, ow = 9;
            float[] got = Upsample2D.nearest(in, oh, ow).toFloatArray();
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int si = (int) Math.min(Math.floor(i * (3f / 7f)), 2);
                    int sj = (int) Math.min(Math.floor(j * (5f / 9f)), 4);
                    assertEquals(x[si * 5 + sj], got[(int) (i * ow + j)], "at " + i + "," + j);
                }
            }
            // x2 path: every pixel repeated in a 2x2 square
            Upsample2D up = new Upsample2D(1, 1);
            up.initializeRandom(m, DataType.FLOAT32);
            NDArray y = up.forward(in, null);
            assertEquals(new Shape(1, 1, 6, 10), y.getShape());
            NDArray y2 = up.forward(in, new long[] {6, 10});
            assertEquals(0f, y.sub(y2).abs().max().getFloat(), 0f);
        }
    }

    @Test
    void downsamplePaddingZeroPadsRightAndBottom() {
        try (NDManager m = NDManager.newBaseManager()) {
            Downsample2D ds = new Downsample2D(1, 1, 0);
            ds.initializeRandom(m, DataType.FLOAT32);
            Weights.Slot ws = Weights.slots(ds).get("conv.weight");
            float[] k = new float[9];
            for (int i = 0; i < 9; i++) {
                k[i] = i + 1;
            }
            ws.owner().setParam("weight", m.create(k, new Shape(1, 1, 3, 3)));
            ws.owner().setParam("bias", m.zeros(new Shape(1)));
            float[] img = new float[16];
            for (int i = 0; i < 16; i++) {
                img[i] = (i * 7 % 5) - 2;
            }
            float[] y = ds.forward(m.create(img, new Shape(1, 1, 4, 4))).toFloatArray();
            assertEquals(4, y.length);
            for (int oy = 0; oy < 2; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    double s = 0;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy * 2 + ky;
                            int ix = ox * 2 + kx;
                            if (iy < 4 && ix < 4) {
                                s += k[ky * 3 + kx] * img[iy * 4 + ix];
                            }
                        }
                    }
                    assertEquals(s, y[oy * 2 + ox], 1e-5);
                }
            }
        }
    }

    @Test
    void fp16GroupNormSurvivesLargeActivations() {
        try (NDManager m = NDManager.newBaseManager()) {
            dev.bkd.core.nn.GroupNorm gn = new dev.bkd.core.nn.GroupNorm(2, 4, 1e-5f);
            gn.initializeRandom(m, DataType.FLOAT32);
            // |x| ~ 1000: squares exceed fp16's 65504, so half statistics would give inf/nan
            NDArray x = m.randomNormal(new Shape(1, 4, 8, 8)).mul(1000);
            NDArray want = gn.forward(x);
            dev.bkd.core.nn.GroupNorm half = new dev.bkd.core.nn.GroupNorm(2, 4, 1e-5f);
            half.initializeRandom(m, DataType.FLOAT16);
            NDArray got = half.forward(x.toType(DataType.FLOAT16, false)).toType(DataType.FLOAT32, false);
            double d = got.sub(want).abs().max().getFloat();
            System.out.printf("GroupNorm fp16 at |x|~1e3: max abs error %.3g%n", d);
            assertTrue(d < 1e-2, "fp16 GroupNorm error " + d);
        }
    }

    @Test
    void transformerParameterNamesFollowDiffusers() {
        Transformer2DModel conv = new Transformer2DModel(2, 4, 8, 1, 6, 2, false, false, false);
        Transformer2DModel lin = new Transformer2DModel(2, 4, 8, 1, 6, 2, true, false, false);
        Map<String, Weights.Slot> c = Weights.slots(conv);
        Map<String, Weights.Slot> l = Weights.slots(lin);
        assertEquals(new Shape(8, 8, 1, 1), c.get("proj_in.weight").shape());
        assertEquals(new Shape(8, 8), l.get("proj_in.weight").shape());
        assertEquals(new Shape(8, 8), l.get("proj_out.weight").shape());
        for (String k : List.of("norm.weight", "transformer_blocks.0.norm1.weight", "transformer_blocks.0.attn1.to_q.weight",
                "transformer_blocks.0.attn2.to_k.weight", "transformer_blocks.0.norm3.bias",
                "transformer_blocks.0.ff.net.0.proj.weight", "transformer_blocks.0.ff.net.2.bias")) {
            assertTrue(c.containsKey(k), k);
        }
        assertEquals(new Shape(64, 8), c.get("transformer_blocks.0.ff.net.0.proj.weight").shape());
        assertEquals(new Shape(8, 6), c.get("transformer_blocks.0.attn2.to_k.weight").shape());
        assertFalse(c.containsKey("transformer_blocks.0.attn1.to_q.bias"));
    }

    private static double[][] mat(NDArray a) {
        long[] s = a.getShape().getShape();
        float[] f = a.toFloatArray();
        double[][] out = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < s[0]; i++) {
            for (int j = 0; j < s[1]; j++) {
                out[i][j] = f[(int) (i * s[1] + j)];
            }
        }
        return out;
    }

    /** Rows of batch n of a (B, T, in) buffer times W(out, in)ᵀ. */
    private static double[][] proj(float[] x, int n, int t, int in, double[][] w) {
        double[][] out = new double[t][w.length];
        for (int i = 0; i < t; i++) {
            for (int o = 0; o < w.length; o++) {
                for (int j = 0; j < in; j++) {
                    out[i][o] += w[o][j] * x[(n * t + i) * in + j];
                }
            }
        }
        return out;
    }

    private static float[] randn(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }
}
