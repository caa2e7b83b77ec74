package dev.bkd.models.image;

/**
 * PIL's {@code Image.resize(size, Image.LANCZOS)} on 8-bit channels, the resample diffusers' VaeImageProcessor uses
 * (its default {@code resample="lanczos"}), computed the way Pillow's Resample.c does so sizes and pixel values
 * agree: a separable Lanczos-3 filter widened by the scale factor when shrinking, weights normalised to sum 1 and
 * rounded to 22-bit fixed point, a horizontal pass into an 8-bit temporary (only the rows the vertical pass reads),
 * then a vertical pass, each rounding and clipping to 0..255.
 */
final class PilResize {
    /** Pillow's PRECISION_BITS for 8-bit images (32 - 8 - 2). */
    private static final int PRECISION_BITS = 22;
    private static final double LANCZOS_SUPPORT = 3.0;

    private PilResize() {}

    /** One channel {@code in} (h x w, row-major, values 0..255) resized to outH x outW. */
    static int[] resize(int[] in, int w, int h, int outW, int outH) {
        if (w == outW && h == outH) {
            return in.clone();
        }
        Coeffs horiz = Coeffs.of(w, outW);
        Coeffs vert = Coeffs.of(h, outH);
        int[] src = in;
        int srcW = w;
        int rowOffset = 0;
        if (w != outW) {
            int first = vert.min[0];
            int last = vert.min[outH - 1] + vert.len[outH - 1];
            int rows = last - first;
            int[] tmp = new int[rows * outW];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < outW; x++) {
                    int acc = 1 << (PRECISION_BITS - 1);
                    for (int k = 0; k < horiz.len[x]; k++) {
                        acc += in[(y + first) * w + horiz.min[x] + k] * horiz.k[x][k];
                    }
                    tmp[y * outW + x] = clip8(acc);
                }
            }
            src = tmp;
            srcW = outW;
            rowOffset = first;
        }
        if (h == outH) {
            return src;
        }
        int[] out = new int[outH * outW];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int acc = 1 << (PRECISION_BITS - 1);
                for (int k = 0; k < vert.len[y]; k++) {
                    acc += src[(vert.min[y] - rowOffset + k) * srcW + x] * vert.k[y][k];
                }
                out[y * outW + x] = clip8(acc);
            }
        }
        return out;
    }

    private static int clip8(int acc) {
        if (acc >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        return acc <= 0 ? 0 : acc >> PRECISION_BITS;
    }

    /** Lanczos-3: sinc(x) sinc(x / 3) on [-3, 3). */
    static double lanczos(double x) {
        return -LANCZOS_SUPPORT <= x && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        double px = x * Math.PI;
        return Math.sin(px) / px;
    }

    /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis: per output pixel a window and weights. */
    private record Coeffs(int[] min, int[] len, int[][] k) {
        static Coeffs of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = LANCZOS_SUPPORT * filterScale;
            int[] min = new int[outSize];
            int[] len = new int[outSize];
            int[][] k = new int[outSize][];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double[] w = new double[xmax];
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = lanczos((x + xmin - center + 0.5) * ss);
                    ww += w[x];
                }
                k[xx] = new int[xmax];
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? w[x] / ww : w[x];
                    k[xx][x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                min[xx] = xmin;
                len[xx] = xmax;
            }
            return new Coeffs(min, len, k);
        }
    }
}
