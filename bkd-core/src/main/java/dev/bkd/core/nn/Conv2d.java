package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.bkd.core.nn.AutocastPolicy.Op;

/** torch.nn.Conv2d with square kernel, stride and zero padding; weight (out, in, k, k). */
public class Conv2d extends AdaptableModule {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    public final int padding;
    public final boolean hasBias;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.hasBias = bias;
        param("weight", Parameter.Type.WEIGHT, outChannels, inChannels, kernel, kernel);
        if (bias) {
            param("bias", Parameter.Type.BIAS, outChannels);
        }
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, kernel, stride, padding, true);
    }

    /** The convolution; under {@link Autocast} in the policy's dtype for conv2d (float16), from the float32 weights. */
    public NDArray forward(NDArray x) {
        return adapted(x, ai.djl.nn.convolutional.Conv2d.conv2d(Autocast.arg(Op.CONV2D, x),
                Autocast.arg(Op.CONV2D, p("weight")), hasBias ? Autocast.arg(Op.CONV2D, p("bias")) : null,
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow());
    }
}
