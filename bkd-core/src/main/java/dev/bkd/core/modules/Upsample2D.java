package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Module;
import dev.bkd.core.djl.Scalars;

/**
 * diffusers' Upsample2D with {@code use_conv=True}: nearest-neighbour x2 (or to an explicit size when the
 * UNet forwards odd skip shapes), then a 3x3 {@code conv}.
 */
public final class Upsample2D extends Module {
    private final Conv2d conv;

    public Upsample2D(int channels, int outChannels) {
        conv = child("conv", new Conv2d(channels, outChannels, 3, 1, 1));
    }

    /** @param outputSize (H, W) to interpolate to, or null for exactly twice the input */
    public NDArray forward(NDArray x, long[] outputSize) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray up;
        if (outputSize == null || (outputSize[0] == 2 * h && outputSize[1] == 2 * w)) {
            up = x.reshape(b, c, h, 1, w, 1).broadcast(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w);
        } else {
            up = nearest(x, outputSize[0], outputSize[1]);
        }
        return out(this, out(conv, conv.forward(up)));
    }

    /**
     * torch's "nearest" interpolation to (oh, ow): source index floor(dst · in/out) in float, clamped.
     * Done as two 0/1 selection matmuls, which copy values exactly and keep autograd.
     */
    static NDArray nearest(NDArray x, long oh, long ow) {
        Shape s = x.getShape();
        NDManager m = x.getManager();
        NDArray rows = selection(m, s.get(2), oh).transpose().toType(x.getDataType(), false); // (oh, h)
        NDArray cols = selection(m, s.get(3), ow).toType(x.getDataType(), false); // (w, ow)
        return rows.matMul(x.matMul(cols));
    }

    /** (in, out) matrix with a 1 at (src(j), j). */
    private static NDArray selection(NDManager m, long in, long outSize) {
        float[] sel = new float[(int) (in * outSize)];
        float scale = (float) in / outSize;
        for (int j = 0; j < outSize; j++) {
            long src = Math.min((long) Math.floor(j * scale), in - 1);
            sel[(int) (src * outSize + j)] = 1f;
        }
        // copied into torch's memory: matMul keeps this operand for backward, and the forward's scope closes the
        // Java-backed original (its buffer is then freed by the GC under the saved tensor)
        try (NDArray javaBacked = m.create(sel, new Shape(in, outSize))) {
            return Scalars.mul(javaBacked, 1);
        }
    }
}
