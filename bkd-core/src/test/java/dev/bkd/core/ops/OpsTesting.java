package dev.bkd.core.ops;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.Function;

/** Seeded inputs, one forward+backward pass, and error measures shared by the ops tests. */
final class OpsTesting {
    private OpsTesting() {}

    static NDManager manager() {
        return Engine.getEngine("PyTorch").newBaseManager();
    }

    /** Normal(0, std) float32 values from a seeded Java generator, so inputs do not depend on libtorch. */
    static NDArray normal(NDManager m, Random rnd, double std, long... shape) {
        Shape s = new Shape(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return m.create(v, s);
    }

    static double[] doubles(NDArray a) {
        return a == null ? null : a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** {@link JavaReference#scaledError} of two arrays of one shape. */
    static double error(NDArray actual, NDArray expected) {
        if (!actual.getShape().equals(expected.getShape())) {
            throw new AssertionError("shape " + actual.getShape() + " != " + expected.getShape());
        }
        return JavaReference.scaledError(doubles(actual), doubles(expected));
    }

    /** The output and the gradients of sum(y * r) w.r.t. each leaf. */
    static final class Pass {
        final NDArray y;
        final NDArray[] grads;

        Pass(NDArray y, NDArray[] grads) {
            this.y = y;
            this.grads = grads;
        }
    }

    /** Runs {@code op} on fresh copies of {@code leaves} under autograd and backpropagates sum(y * r). */
    static Pass pass(Function<NDArray[], NDArray> op, NDArray r, NDArray... leaves) {
        NDArray[] in = new NDArray[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            in[i] = leaves[i].duplicate();
            in[i].setRequiresGradient(true);
        }
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray y = op.apply(in);
            gc.backward(y.mul(r).sum());
            NDArray[] grads = new NDArray[in.length];
            for (int i = 0; i < in.length; i++) {
                grads[i] = in[i].getGradient().duplicate();
            }
            return new Pass(y.stopGradient(), grads);
        }
    }
}
