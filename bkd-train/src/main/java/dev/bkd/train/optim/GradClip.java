package dev.bkd.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.djl.Autograd;
import java.util.Collection;

/** torch.nn.utils.clip_grad_norm_ with the 2-norm; DJL's optClipGrad clamps values, not the norm. */
public final class GradClip {
    /** Added to the norm before dividing, as torch does. */
    public static final double EPS = 1e-6;

    private GradClip() {}

    /**
     * Scales {@code grads} in place by {@code min(1, maxNorm / (norm + 1e-6))}, where norm is the 2-norm of all
     * gradients taken together, and returns that norm (before clipping). A non-finite norm leaves the
     * gradients untouched and is returned for the caller to skip the step (torch would multiply by NaN).
     */
    public static double clipGlobalNorm(Collection<NDArray> grads, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new ConfigException("max_grad_norm must be a positive number, got " + maxNorm);
        }
        if (grads.isEmpty()) {
            return 0;
        }
        double norm = globalNorm(grads);
        double coef = maxNorm / (norm + EPS);
        if (Double.isFinite(norm) && coef < 1) {
            try (Autograd.NoGrad ng = Autograd.noGrad()) {
                for (NDArray g : grads) {
                    g.muli(coef);
                }
            }
        }
        return norm;
    }

    /** The 2-norm of the per-tensor 2-norms, i.e. of all elements together (torch's total_norm). */
    public static double globalNorm(Collection<NDArray> grads) {
        NDManager any = grads.iterator().next().getManager();
        try (Autograd.NoGrad ng = Autograd.noGrad(); NDManager scope = any.newSubManager()) {
            NDList norms = new NDList(grads.size());
            for (NDArray g : grads) {
                NDArray n = g.norm();
                n.attach(scope);
                norms.add(n);
            }
            NDArray total = NDArrays.stack(norms).norm();
            total.attach(scope);
            return total.toType(DataType.FLOAT64, false).getDouble();
        }
    }
}
