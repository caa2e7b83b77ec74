package dev.bkd.core.modules;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Frees a forward step's temporaries as soon as the step returns, so a large decode holds one block's
 * intermediates at a time instead of all of them. The results survive and join the enclosing scope (if
 * any), so nested steps compose. While a {@link Taps} session records, nothing is freed (taps may hold
 * inner outputs). Autograd keeps its own references, so closing the Java handles does not break backward.
 */
public final class Scoped {
    private Scoped() {}

    /** Runs {@code step}, which must return a newly computed array (not one of its inputs). */
    public static NDArray keep(Supplier<NDArray> step) {
        return keepAll(step, List::of);
    }

    /**
     * Runs {@code step} with several results: {@code results} lists the arrays of its value that survive
     * (each newly computed by the step).
     */
    public static <T> T keepAll(Supplier<T> step, Function<T, List<NDArray>> results) {
        if (Taps.recording()) {
            return step.get();
        }
        T out;
        List<NDArray> kept;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = step.get();
            kept = results.apply(out);
            kept.forEach(NDScope::unregister);
        }
        kept.forEach(NDScope::register);
        return out;
    }
}
