package dev.bkd.core.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Direct access to libtorch autograd state, which DJL's generic API hides: {@code getGradient()} returns a
 * fresh zero array when a parameter got no gradient (torch's {@code None}) and attaches every wrapper to the
 * parameter's long-lived manager (a leak per call). bkd runs only on the PyTorch engine.
 */
public final class Autograd {
    private Autograd() {}

    /** Scope in which no op records a graph (torch.no_grad); restores the previous mode on close. */
    public interface NoGrad extends AutoCloseable {
        @Override
        void close();
    }

    /** Enters no-grad mode for the current thread. */
    public static NoGrad noGrad() {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        return () -> JniUtils.setGradMode(previous);
    }

    /**
     * The gradients of {@code params} that have one, by the same names; each is an alias of the parameter's
     * {@code .grad} (in-place ops change it) owned by {@code scope}. Frozen parameters and parameters that got
     * no gradient are left out, like torch's {@code p.grad is None}.
     */
    public static Map<String, NDArray> grads(Map<String, NDArray> params, NDManager scope) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = grad(e.getValue());
            if (g != null) {
                g.attach(scope);
                out.put(e.getKey(), g);
            }
        }
        return out;
    }

    /** Zeroes the gradient of every parameter that has one (DJL's collector accumulates across backwards). */
    public static void zeroGrads(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            NDArray g = grad(p);
            if (g != null) {
                g.close();
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
    }

    /** The gradient wrapper (caller owns it), or null when {@code p} is frozen or has none yet. */
    private static NDArray grad(NDArray p) {
        if (!p.hasGradient()) {
            return null;
        }
        return JniUtils.getGradient((PtNDArray) p);
    }
}
