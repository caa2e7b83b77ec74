package dev.bkd.core.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Argument checks shared by every Ops backend, so bad input fails the same way whichever runs. */
final class OpsArgs {
    private OpsArgs() {}

    static void checkGroupNorm(NDArray x, int groups, NDArray weight, NDArray bias) {
        Shape s = x.getShape();
        if (s.dimension() < 2) {
            throw new IllegalArgumentException("GroupNorm: input must be (N, C, ...), got shape " + s);
        }
        if (s.size() == 0) {
            throw new IllegalArgumentException("GroupNorm: input " + s + " is empty");
        }
        long c = s.get(1);
        if (groups <= 0 || c % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + c + " channels of input " + s
                    + " are not divisible by " + groups + " groups");
        }
        checkAffine("weight", weight, c, s);
        checkAffine("bias", bias, c, s);
        checkFloat("GroupNorm", "input", x);
        sameType("GroupNorm", x, "weight", weight);
        sameType("GroupNorm", x, "bias", bias);
    }

    /** Checks q (..., Tq, D), k (..., Tk, D), v (..., Tk, Dv) and an additive mask broadcastable to (..., Tq, Tk). */
    static void checkAttention(NDArray q, NDArray k, NDArray v, NDArray mask, double scale) {
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        int r = qs.dimension();
        String shapes = " (q " + qs + ", k " + ks + ", v " + vs + ")";
        if (r < 3 || ks.dimension() != r || vs.dimension() != r) {
            throw new IllegalArgumentException("attention: q, k, v must have the same rank >= 3, (B, [H,] T, D)" + shapes);
        }
        if (qs.size() == 0 || ks.size() == 0 || vs.size() == 0) {
            throw new IllegalArgumentException("attention: empty input" + shapes);
        }
        for (int i = 0; i < r - 2; i++) {
            if (ks.get(i) != qs.get(i) || vs.get(i) != qs.get(i)) {
                throw new IllegalArgumentException("attention: batch/head dims differ" + shapes);
            }
        }
        if (ks.get(r - 1) != qs.get(r - 1)) {
            throw new IllegalArgumentException("attention: q head dim " + qs.get(r - 1) + " != k head dim "
                    + ks.get(r - 1) + shapes);
        }
        if (vs.get(r - 2) != ks.get(r - 2)) {
            throw new IllegalArgumentException("attention: k has " + ks.get(r - 2) + " keys but v has "
                    + vs.get(r - 2) + " values" + shapes);
        }
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("attention: scale must be finite, got " + scale);
        }
        checkFloat("attention", "q", q);
        sameType("attention", q, "k", k);
        sameType("attention", q, "v", v);
        if (mask != null) {
            Shape ms = mask.getShape();
            long[] target = qs.getShape().clone();
            target[r - 1] = ks.get(r - 2);
            boolean ok = ms.dimension() <= r;
            for (int i = 1; ok && i <= ms.dimension(); i++) {
                long m = ms.get(ms.dimension() - i);
                ok = m == 1 || m == target[r - i];
            }
            if (!ok) {
                throw new IllegalArgumentException("attention: mask " + ms + " does not broadcast to scores "
                        + new Shape(target) + shapes);
            }
            if (mask.getDataType() != DataType.BOOLEAN) {
                checkFloat("attention", "mask", mask);
            }
        }
    }

    /** Checks that {@code x} and the target {@code dtype} are float16, float32 or float64. */
    static void checkCast(NDArray x, DataType dtype) {
        checkFloat("cast", "input", x);
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.FLOAT64) {
            throw new IllegalArgumentException("cast: target " + dtype + " must be float32, float16 or float64"
                    + (dtype == DataType.BFLOAT16 ? " (bfloat16 cannot be handed to native code by DJL)" : ""));
        }
    }

    /**
     * The mask as additive scores in {@code dtype}: a boolean mask (true = attend, torch's convention)
     * becomes 0 / -inf; a float mask is cast if needed (the cast is not differentiated).
     */
    static NDArray additiveMask(NDArray mask, DataType dtype) {
        if (mask == null) {
            return null;
        }
        if (mask.getDataType() == DataType.BOOLEAN) {
            // DJL's where does not broadcast, hence full-size branches
            try (NDArray zero = mask.getManager().zeros(mask.getShape(), dtype, mask.getDevice());
                    NDArray hidden = mask.getManager().full(mask.getShape(), Float.NEGATIVE_INFINITY, dtype, mask.getDevice())) {
                return NDArrays.where(mask, zero, hidden);
            }
        }
        return mask.getDataType() == dtype ? mask : mask.toType(dtype, false);
    }

    private static void checkAffine(String name, NDArray a, long c, Shape input) {
        if (a != null && (a.getShape().dimension() != 1 || a.getShape().get(0) != c)) {
            throw new IllegalArgumentException("GroupNorm: " + name + " must have shape (" + c + ") for input "
                    + input + ", got " + a.getShape());
        }
    }

    private static void checkFloat(String op, String name, NDArray a) {
        DataType t = a.getDataType();
        if (t == DataType.BFLOAT16) {
            throw new IllegalArgumentException(op + ": " + name + " is bfloat16, which DJL's PyTorch engine cannot"
                    + " hand to native code; convert weights to float32 or float16 when loading");
        }
        if (t != DataType.FLOAT32 && t != DataType.FLOAT16 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException(op + ": " + name + " must be float32, float16 or float64, got " + t);
        }
    }

    private static void sameType(String op, NDArray ref, String name, NDArray a) {
        if (a != null && a.getDataType() != ref.getDataType()) {
            throw new IllegalArgumentException(op + ": " + name + " is " + a.getDataType() + " but the input is "
                    + ref.getDataType() + "; cast both to one type");
        }
    }
}
