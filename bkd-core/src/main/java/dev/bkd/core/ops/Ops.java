package dev.bkd.core.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;

/**
 * Numerical kernels every model calls (GroupNorm, scaled dot-product attention), never its own copy.
 * On the PyTorch engine they run libtorch's fused kernels ({@link TorchScriptOps}); elsewhere, or with
 * {@code -Dbkd.ops=djl}, the pure-DJL reference ({@link DjlOps}). {@code -Dbkd.ops=torch} insists on
 * the fused kernels and fails if they cannot load.
 */
public final class Ops {
    /** System property choosing the backend: {@code auto} (default), {@code djl} or {@code torch}. */
    public static final String BACKEND_PROPERTY = "bkd.ops";

    /** Which implementation runs. */
    public enum Backend { TORCH, DJL }

    private Ops() {}

    /**
     * GroupNorm over {@code x} of shape (N, C, ...) with per-channel affine {@code weight}, {@code bias}
     * of shape (C) (either may be null), like torch.nn.functional.group_norm.
     *
     * @throws IllegalArgumentException if C is not divisible by {@code groups}, the affine shapes or the
     *     dtypes do not match
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        return backend(x) == Backend.TORCH
                ? TorchScriptOps.groupNorm(x, groups, weight, bias, eps)
                : DjlOps.groupNorm(x, groups, weight, bias, eps);
    }

    /** {@link #attention(NDArray, NDArray, NDArray, NDArray, boolean, double)} with scale 1/sqrt(D). */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal) {
        Shape s = q.getShape();
        double scale = s.dimension() == 0 ? 1 : 1.0 / Math.sqrt(s.get(s.dimension() - 1)); // rank checked later
        return attention(q, k, v, mask, causal, scale);
    }

    /**
     * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, for q (B, [H,] Tq, D), k (B, [H,] Tk, D)
     * and v (B, [H,] Tk, Dv), like torch.nn.functional.scaled_dot_product_attention. {@code mask} is
     * additive (float, broadcastable to (B, [H,] Tq, Tk); boolean masks mean true = attend) or null;
     * {@code causal} hides keys after each query position (key j &gt; query i).
     *
     * @throws IllegalArgumentException if the shapes or dtypes do not fit together
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal, double scale) {
        return backend(q) == Backend.TORCH
                ? TorchScriptOps.attention(q, k, v, mask, causal, scale)
                : DjlOps.attention(q, k, v, mask, causal, scale);
    }

    /** The backend that runs for arrays like {@code a}, after {@value #BACKEND_PROPERTY}. */
    public static Backend backend(NDArray a) {
        String choice = System.getProperty(BACKEND_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        switch (choice) {
            case "djl":
                return Backend.DJL;
            case "torch":
                return Backend.TORCH; // TorchScriptOps reports why if it cannot load
            case "auto":
            case "":
                return "PyTorch".equals(a.getManager().getEngine().getEngineName())
                                && TorchScriptOps.isAvailable(a.getDevice())
                        ? Backend.TORCH
                        : Backend.DJL;
            default:
                throw new BkdException("-D" + BACKEND_PROPERTY + "=" + choice + " is not a backend; use auto, djl or torch");
        }
    }
}
