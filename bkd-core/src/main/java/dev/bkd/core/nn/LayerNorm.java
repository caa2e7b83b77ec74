package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

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

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), p("weight"), p("bias"), eps).singletonOrThrow();
    }
}
