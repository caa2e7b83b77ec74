package dev.bkd.core.modules;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Activations;
import dev.bkd.core.nn.Module;
import java.util.function.UnaryOperator;

/**
 * A parameter-free activation that diffusers registers as a child module ({@code conv_act},
 * {@code time_embedding.act}), so its output has a tap path.
 */
public final class Nonlinearity extends Module {
    public final String name;
    private final UnaryOperator<NDArray> fn;

    public Nonlinearity(String name, String where) {
        this.name = name;
        this.fn = Activations.byName(name, where);
    }

    public NDArray forward(NDArray x) {
        return Taps.out(this, fn.apply(x));
    }
}
