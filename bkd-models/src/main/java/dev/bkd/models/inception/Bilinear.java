package dev.bkd.models.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * torch's {@code F.interpolate(x, size, mode="bilinear", align_corners=False)} without antialiasing, in float32 as
 * torch's CPU kernel computes it: source coordinate (o + 0.5)·in/out − 0.5, clamped at 0, then the two neighbours.
 * pytorch-fid resizes with exactly this; an antialiased resize would change the FID.
 */
final class Bilinear {
    private Bilinear() {}

    /** Source index pairs and weights along one axis. */
    private record Axis(int[] i0, int[] i1, float[] l0, float[] l1) {
        static Axis of(int in, int out) {
            float scale = (float) in / out;
            Axis a = new Axis(new int[out], new int[out], new float[out], new float[out]);
            for (int o = 0; o < out; o++) {
                float src = Math.max(scale * (o + 0.5f) - 0.5f, 0f);
                int i = (int) src;
                a.i0[o] = i;
                a.i1[o] = i + (i < in - 1 ? 1 : 0);
                a.l1[o] = src - i;
                a.l0[o] = 1f - a.l1[o];
            }
            return a;
        }
    }

    /** {@code x} (B, C, H, W) float32 to (B, C, outH, outW), in x's manager. */
    static NDArray resize(NDArray x, int outH, int outW) {
        long[] s = x.getShape().getShape();
        int planes = (int) (s[0] * s[1]);
        int h = (int) s[2];
        int w = (int) s[3];
        float[] in = x.toType(DataType.FLOAT32, false).toFloatArray();
        float[] out = new float[planes * outH * outW];
        Axis ay = Axis.of(h, outH);
        Axis ax = Axis.of(w, outW);
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            int obase = p * outH * outW;
            for (int oy = 0; oy < outH; oy++) {
                int r0 = base + ay.i0[oy] * w;
                int r1 = base + ay.i1[oy] * w;
                for (int ox = 0; ox < outW; ox++) {
                    int c0 = ax.i0[ox];
                    int c1 = ax.i1[ox];
                    out[obase + oy * outW + ox] = ay.l0[oy] * (ax.l0[ox] * in[r0 + c0] + ax.l1[ox] * in[r0 + c1])
                            + ay.l1[oy] * (ax.l0[ox] * in[r1 + c0] + ax.l1[ox] * in[r1 + c1]);
                }
            }
        }
        return x.getManager().create(out, new Shape(s[0], s[1], outH, outW));
    }
}
