package dev.bkd.models.inception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import dev.bkd.core.nn.Module;

/** torchvision's BasicConv2d: conv (no bias) then BatchNorm (eps 0.001) then ReLU; keys {@code conv.weight}, {@code bn.*}. */
final class BasicConv2d extends Module {
    /** torchvision's Inception BatchNorm eps (pytorch-fid's recipe JSON records bn_eps 0.001 too). */
    static final float BN_EPS = 1e-3f;

    private final ConvSpec spec;
    final Weight conv;
    final BatchNorm2d bn;

    /** The convolution's weight as a child named {@code conv}, so the key is {@code conv.weight}. */
    static final class Weight extends Module {
        Weight(ConvSpec s) {
            param("weight", Parameter.Type.WEIGHT, s.out(), s.in(), s.kh(), s.kw());
        }

        NDArray value() {
            return p("weight");
        }
    }

    BasicConv2d(ConvSpec spec) {
        this.spec = spec;
        conv = child("conv", new Weight(spec));
        bn = child("bn", new BatchNorm2d(spec.out(), BN_EPS));
    }

    NDArray forward(NDArray x) {
        NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(x, conv.value(), null,
                new Shape(spec.stride(), spec.stride()), new Shape(spec.ph(), spec.pw()), new Shape(1, 1), 1)
                .singletonOrThrow();
        return Activation.relu(bn.forward(y));
    }
}
