package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.djl.Scalars;
import java.util.function.UnaryOperator;

/** The activation functions diffusers and transformers name in configs. */
public final class Activations {
    private Activations() {}

    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** Exact (erf) GELU, torch's default. */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /** CLIP's x * sigmoid(1.702 x). */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(Scalars.mul(x, 1.702f)));
    }

    /** Resolves a config's act_fn / hidden_act name. */
    public static UnaryOperator<NDArray> byName(String name, String where) {
        return switch (name) {
            case "silu", "swish" -> Activations::silu;
            case "gelu" -> Activations::gelu;
            case "quick_gelu" -> Activations::quickGelu;
            default -> throw new ConfigException(where + ": activation \"" + name
                    + "\" is not supported (supported: silu, swish, gelu, quick_gelu)");
        };
    }
}
