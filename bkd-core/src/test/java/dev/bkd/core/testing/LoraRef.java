package dev.bkd.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraWeights;
import dev.bkd.core.nn.Module;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.Weights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Independent LoRA arithmetic for tests, in plain Java doubles: merged weights W + s·B·A, and a whole
 * state dict with them, so a plain model (no adapter code involved) gives the expected output.
 */
public final class LoraRef {
    private LoraRef() {}

    /** One adapter as the test knows it: its tensors and the scale alpha/r·multiplier the test expects. */
    public record Term(float[] a, float[] b, int rank, double scale) {}

    /** W (out, rest) + sum of scale·B(out, r)·A(r, rest), each entry summed in double, rounded once. */
    public static float[] merge(float[] w, int out, Term... terms) {
        int rest = w.length / out;
        float[] m = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < rest; i++) {
                double v = w[o * rest + i];
                for (Term t : terms) {
                    double d = 0;
                    for (int k = 0; k < t.rank(); k++) {
                        d += (double) t.b()[o * t.rank() + k] * t.a()[k * rest + i];
                    }
                    v += t.scale() * d;
                }
                m[o * rest + i] = (float) v;
            }
        }
        return m;
    }

    /** y = x·Wᵀ + b for x (n, in), in double. */
    public static double[] linear(float[] x, int n, float[] w, float[] bias, int out) {
        int in = w.length / out;
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    /** Stride-1 conv of x (1, c, h, w) with weight (out, c, k, k), zero padding {@code pad}, in double. */
    public static double[] conv(float[] x, int c, int h, int wd, float[] w, float[] bias, int out, int k, int pad) {
        int oh = h + 2 * pad - k + 1;
        int ow = wd + 2 * pad - k + 1;
        double[] y = new double[out * oh * ow];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double s = bias == null ? 0 : bias[o];
                    for (int ci = 0; ci < c; ci++) {
                        for (int di = 0; di < k; di++) {
                            for (int dj = 0; dj < k; dj++) {
                                int yi = i + di - pad;
                                int xj = j + dj - pad;
                                if (yi >= 0 && yi < h && xj >= 0 && xj < wd) {
                                    s += (double) x[(ci * h + yi) * wd + xj] * w[((o * c + ci) * k + di) * k + dj];
                                }
                            }
                        }
                    }
                    y[(o * oh + i) * ow + j] = s;
                }
            }
        }
        return y;
    }

    /**
     * The model's state dict (copies) with every layer an adapter touches replaced by its merged weight;
     * {@code scales} gives each adapter's expected factor (alpha/r times its multiplier).
     */
    public static Map<String, NDArray> mergedStateDict(Module root, Map<LoraAdapter, Double> scales, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Weights.stateDict(root).forEach((k, v) -> out.put(k, v.duplicate()));
        Map<String, java.util.List<Term>> terms = new LinkedHashMap<>();
        scales.forEach((adapter, s) -> adapter.layers().forEach((path, w) -> terms
                .computeIfAbsent(path, p -> new java.util.ArrayList<>()).add(term(w, s))));
        terms.forEach((path, ts) -> {
            NDArray w = out.get(path + ".weight");
            Shape shape = w.getShape();
            float[] merged = merge(w.toFloatArray(), Math.toIntExact(shape.get(0)), ts.toArray(new Term[0]));
            out.put(path + ".weight", m.create(merged, shape));
        });
        return out;
    }

    public static Term term(LoraWeights w, double scale) {
        return new Term(w.loraA().toFloatArray(), w.loraB().toFloatArray(), w.rank(), scale);
    }

    /** Fills every adapter A and B of {@code adapter} with N(0, std²) from {@code g} (in place). */
    public static void randomize(LoraAdapter adapter, Generator g, double std) {
        for (NDArray p : adapter.parameters().values()) {
            float[] v = g.gaussians(Math.toIntExact(p.getShape().size()));
            for (int i = 0; i < v.length; i++) {
                v[i] *= (float) std;
            }
            p.set(v);
        }
    }

    public static double maxAbsDiff(double[] want, float[] got) {
        if (want.length != got.length) {
            throw new AssertionError("length " + got.length + " != " + want.length);
        }
        double d = 0;
        for (int i = 0; i < want.length; i++) {
            d = Math.max(d, Math.abs(want[i] - got[i]));
        }
        return d;
    }
}
