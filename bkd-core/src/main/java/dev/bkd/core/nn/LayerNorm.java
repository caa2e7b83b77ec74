package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.bkd.core.nn.AutocastPolicy.Op;

/** torch.nn.LayerNorm over the last dimension, with affine weight/bias. */
public class LayerNorm extends Module {
    public final int dim;
    public final float eps;

    public LayerNorm(int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        param("weight", Parameter.Type.GAMMA, dim);
        param("bias", Parameter.Type.BETA, dim);
    }

    /** The normalised {@code x}; under {@link Autocast} computed and returned in float32, as torch's autocast does. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(Autocast.arg(Op.LAYER_NORM, x), new Shape(dim),
                Autocast.arg(Op.LAYER_NORM, p("weight")), Autocast.arg(Op.LAYER_NORM, p("bias")), eps).singletonOrThrow();
    }
}
