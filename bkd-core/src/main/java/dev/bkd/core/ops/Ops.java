package dev.bkd.core.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.bkd.core.BkdException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Numerical kernels every model calls (GroupNorm, scaled dot-product attention), never its own copy.
 * On the PyTorch engine they run libtorch's fused kernels ({@link TorchScriptOps}); elsewhere, or with
 * {@code -Dbkd.ops=djl}, the pure-DJL reference ({@link DjlOps}). {@code -Dbkd.ops=torch} insists on
 * the fused kernels and fails if they cannot load.
 */
public final class Ops {
    /** System property choosing the backend: {@code auto} (default), {@code djl} or {@code torch}. */
    public static final String BACKEND_PROPERTY = "bkd.ops";

    /** Which implementation runs. */
    public enum Backend { TORCH, DJL }

    private static final Logger LOG = LoggerFactory.getLogger(Ops.class);
    /** What auto chose per device: decided at the first op there, then fixed for the process. */
    private static final Map<Device, Backend> AUTO = new ConcurrentHashMap<>();
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static volatile Choice choice = Choice.parse("auto");

    private Ops() {}

    /**
     * GroupNorm over {@code x} of shape (N, C, ...) with per-channel affine {@code weight}, {@code bias}
     * of shape (C) (either may be null), like torch.nn.functional.group_norm.
     *
     * @throws IllegalArgumentException if C is not divisible by {@code groups}, the affine shapes or the
     *     dtypes do not match
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        return backend(x) == Backend.TORCH
                ? TorchScriptOps.groupNorm(x, groups, weight, bias, eps)
                : DjlOps.groupNorm(x, groups, weight, bias, eps);
    }

    /** {@link #attention(NDArray, NDArray, NDArray, NDArray, boolean, double)} with scale 1/sqrt(D). */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal) {
        Shape s = q.getShape();
        double scale = s.dimension() == 0 ? 1 : 1.0 / Math.sqrt(s.get(s.dimension() - 1)); // rank checked later
        return attention(q, k, v, mask, causal, scale);
    }

    /**
     * Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, for q (B, [H,] Tq, D), k (B, [H,] Tk, D)
     * and v (B, [H,] Tk, Dv), like torch.nn.functional.scaled_dot_product_attention. {@code mask} is
     * additive (float, broadcastable to (B, [H,] Tq, Tk); boolean masks mean true = attend) or null;
     * {@code causal} hides keys after each query position (key j &gt; query i).
     *
     * @throws IllegalArgumentException if the shapes or dtypes do not fit together
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal, double scale) {
        return backend(q) == Backend.TORCH
                ? TorchScriptOps.attention(q, k, v, mask, causal, scale)
                : DjlOps.attention(q, k, v, mask, causal, scale);
    }

    /**
     * {@code x} as {@code dtype} (float16, float32 or float64), like torch's {@code x.to(dtype)}: on the
     * TorchScript backend the cast is differentiated (the gradient comes back to {@code x} in its own dtype), which
     * DJL's {@code toType} is not: it cuts the autograd graph (canary: {@code DjlWorkaroundsCanaryTest}). On the
     * pure-DJL backend it is {@code toType}, so nothing upstream of it gets a gradient; mixed-precision training
     * refuses to start there ({@link #castKeepsGradients}). Returns {@code x} itself when it already is {@code dtype}.
     *
     * @throws IllegalArgumentException if {@code x} or {@code dtype} is not float16, float32 or float64
     */
    public static NDArray cast(NDArray x, DataType dtype) {
        OpsArgs.checkCast(x, dtype);
        if (x.getDataType() == dtype) {
            return x;
        }
        return backend(x) == Backend.TORCH ? TorchScriptOps.cast(x, dtype) : DjlOps.cast(x, dtype);
    }

    /**
     * torch.optim.AdamW's update of one parameter {@code p} with gradient {@code g}, in place on {@code p} and its
     * moments {@code expAvg}, {@code expAvgSq}: decoupled weight decay, the moments' lerp/addcmul, the bias-corrected
     * denominator with eps after the square root. Call without autograd. On the TorchScript backend these are
     * torch's own statements and kernels (bit-equal to torch, and fewer passes over memory: the KD step's AdamW took
     * 3.8 s through DJL's ops against torch's 2.3 s for a BK-tiny student); the pure-DJL backend computes the same
     * maths with DJL's ops.
     */
    public static void adamw(NDArray p, NDArray g, NDArray expAvg, NDArray expAvgSq, AdamWStep s) {
        if (backend(p) == Backend.TORCH) {
            TorchScriptOps.adamw(p, g, expAvg, expAvgSq, s);
        } else {
            DjlOps.adamw(p, g, expAvg, expAvgSq, s);
        }
    }

    /**
     * Whether {@link #cast} keeps the autograd graph for arrays like {@code a}; when false, the reason (the
     * TorchScript module's failure, or the -D{@value #BACKEND_PROPERTY}=djl choice), else null.
     */
    public static String castKeepsGradients(NDArray a) {
        if (backend(a) == Backend.TORCH) {
            return null;
        }
        String why = a instanceof PtNDArray ? TorchScriptOps.unavailableReason(a.getDevice()) : null;
        return "the differentiable cast needs the TorchScript ops, and "
                + (why != null ? why : "-D" + BACKEND_PROPERTY + "=" + System.getProperty(BACKEND_PROPERTY, "auto")
                        + " chose the pure-DJL ops, whose cast (DJL's toType) cuts the autograd graph");
    }

    /**
     * The backend that runs for arrays like {@code a}, after {@value #BACKEND_PROPERTY}. Resolved once: the
     * property is parsed again only when its value changes, and {@code auto} decides once per device (loading
     * the TorchScript module there the first time), so an op pays one property read and one map lookup.
     */
    public static Backend backend(NDArray a) {
        String raw = System.getProperty(BACKEND_PROPERTY, "auto");
        Choice c = choice;
        if (!raw.equals(c.raw)) {
            c = Choice.parse(raw);
            choice = c;
        }
        if (c.fixed != null) {
            return c.fixed; // TORCH: TorchScriptOps reports why if it cannot load; DJL: chosen deliberately, no warning
        }
        if (!(a instanceof PtNDArray)) {
            warnFallback("the arrays live on DJL engine " + a.getManager().getEngine().getEngineName()
                    + ", and the fused kernels need the PyTorch engine");
            return Backend.DJL;
        }
        return AUTO.computeIfAbsent(a.getDevice(), device -> {
            String why = TorchScriptOps.unavailableReason(device);
            if (why == null) {
                return Backend.TORCH;
            }
            warnFallback(why + " (on " + device + ")");
            return Backend.DJL;
        });
    }

    /**
     * Logs, once per process, that the slow path runs, why, and what it costs; true if this call logged. Quiet
     * fallbacks turned a broken DJL upgrade into a 2-3x slower training run that nobody noticed.
     */
    static boolean warnFallback(String reason) {
        if (!WARNED.compareAndSet(false, true)) {
            return false;
        }
        LOG.warn(fallbackMessage(reason));
        return true;
    }

    /** The fallback warning for {@code reason}: the cause, the cost (BENCHMARKS.md) and what to do. */
    static String fallbackMessage(String reason) {
        return "bkd uses the slow pure-DJL GroupNorm and attention because " + reason + ". Cost (BENCHMARKS.md):"
                + " GroupNorm ~3x and attention ~3-6x slower, a UNet forward ~1.7x and forward+backward ~2.6x"
                + " slower, attention peak memory ~2x. Fix the cause (see the canary test dev.bkd.core.djl."
                + "DjlWorkaroundsCanaryTest), or pass -D" + BACKEND_PROPERTY + "=djl to choose this path on purpose.";
    }

    /** The parsed value of {@value #BACKEND_PROPERTY}; {@code fixed} is null for auto. */
    private static final class Choice {
        final String raw;
        final Backend fixed;

        private Choice(String raw, Backend fixed) {
            this.raw = raw;
            this.fixed = fixed;
        }

        static Choice parse(String raw) {
            String v = raw.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "djl":
                    return new Choice(raw, Backend.DJL);
                case "torch":
                    return new Choice(raw, Backend.TORCH);
                case "auto":
                case "":
                    return new Choice(raw, null);
                default:
                    throw new BkdException("-D" + BACKEND_PROPERTY + "=" + v + " is not a backend; use auto, djl or torch");
            }
        }
    }
}
