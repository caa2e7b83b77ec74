package dev.bkd.train.data;

/**
 * PIL's antialiased bilinear resampling (Image.resize with BILINEAR, what torchvision's Resize does to a PIL
 * image): a triangle filter whose support widens by the downscale factor, applied horizontally then
 * vertically, each pass rounded to 8 bits like PIL's uint8 intermediate.
 */
public final class Resize {
    private Resize() {}

    /** Resizes 8-bit interleaved RGB {@code src} to {@code outW x outH}. */
    public static Images.Rgb bilinear(Images.Rgb src, int outW, int outH) {
        if (outW <= 0 || outH <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + outW + "x" + outH);
        }
        Images.Rgb r = src;
        if (outW != src.width()) {
            r = pass(r, outW, true);
        }
        if (outH != src.height()) {
            r = pass(r, outH, false);
        }
        return r;
    }

    /** Filter taps of one output position along an axis. */
    private record Taps(int[] start, double[][] weights) {}

    private static Taps taps(int in, int out) {
        double scale = (double) in / out;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // bilinear support 1, widened when shrinking
        int[] start = new int[out];
        double[][] weights = new double[out][];
        for (int o = 0; o < out; o++) {
            double center = (o + 0.5) * scale;
            int lo = Math.max((int) (center - support + 0.5), 0);
            int hi = Math.min((int) (center + support + 0.5), in);
            double[] w = new double[Math.max(hi - lo, 0)];
            double sum = 0;
            for (int i = 0; i < w.length; i++) {
                double t = Math.abs((i + lo - center + 0.5) / filterScale);
                w[i] = t < 1 ? 1 - t : 0;
                sum += w[i];
            }
            for (int i = 0; i < w.length && sum != 0; i++) {
                w[i] /= sum;
            }
            start[o] = lo;
            weights[o] = w;
        }
        return new Taps(start, weights);
    }

    private static Images.Rgb pass(Images.Rgb src, int outLen, boolean horizontal) {
        int w = src.width();
        int h = src.height();
        int inLen = horizontal ? w : h;
        int lines = horizontal ? h : w;
        int ow = horizontal ? outLen : w;
        int oh = horizontal ? h : outLen;
        Taps t = taps(inLen, outLen);
        int[] in = src.rgb();
        int[] out = new int[ow * oh * 3];
        for (int line = 0; line < lines; line++) {
            for (int o = 0; o < outLen; o++) {
                double[] wt = t.weights()[o];
                int s = t.start()[o];
                for (int c = 0; c < 3; c++) {
                    double acc = 0;
                    for (int k = 0; k < wt.length; k++) {
                        int pos = s + k;
                        int idx = horizontal ? (line * w + pos) * 3 + c : (pos * w + line) * 3 + c;
                        acc += wt[k] * in[idx];
                    }
                    int dst = horizontal ? (line * ow + o) * 3 + c : (o * ow + line) * 3 + c;
                    out[dst] = (int) Math.min(255, Math.max(0, Math.round(acc)));
                }
            }
        }
        return new Images.Rgb(ow, oh, out);
    }
}
