package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.bkd.core.nn.AutocastPolicy.Op;

/** torch.nn.Linear: weight (out, in), optional bias (out). */
public class Linear extends AdaptableModule {
    public final int inFeatures;
    public final int outFeatures;
    public final boolean hasBias;

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.hasBias = bias;
        param("weight", Parameter.Type.WEIGHT, outFeatures, inFeatures);
        if (bias) {
            param("bias", Parameter.Type.BIAS, outFeatures);
        }
    }

    /** x·Wᵀ + b; under {@link Autocast} in the policy's dtype for linear (float16), from the float32 weights. */
    public NDArray forward(NDArray x) {
        return adapted(x, ai.djl.nn.core.Linear.linear(Autocast.arg(Op.LINEAR, x), Autocast.arg(Op.LINEAR, p("weight")),
                hasBias ? Autocast.arg(Op.LINEAR, p("bias")) : null).singletonOrThrow());
    }
}
