package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * NaN/Inf checks for tensors that feed an output: one NaN in a weight or a latent turns a whole image black
 * without an error, so the places where such numbers enter (LoRA files, given latents) or end up (the latents
 * before decoding) check, and the error names where they came from.
 */
public final class Finite {
    private Finite() {}

    /** How many entries of {@code a} are NaN or infinite (0 for integer types). */
    public static long countNonFinite(NDArray a) {
        if (!a.getDataType().isFloating()) {
            return 0;
        }
        try (NDManager m = a.getManager().newSubManager()) {
            NDArray bad = a.isNaN().logicalOr(a.isInfinite());
            bad.attach(m);
            NDArray n = bad.countNonzero();
            n.attach(m);
            return n.toType(ai.djl.ndarray.types.DataType.INT64, false).getLong();
        }
    }

    /** Throws {@link NonFiniteException} "{@code what} has N NaN/Inf values of M" when {@code a} has any. */
    public static void require(NDArray a, String what) {
        long n = countNonFinite(a);
        if (n > 0) {
            throw new NonFiniteException(what + " has " + n + " NaN/Inf value" + (n == 1 ? "" : "s") + " of "
                    + a.size());
        }
    }
}
