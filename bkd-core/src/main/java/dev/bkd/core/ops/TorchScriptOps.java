package dev.bkd.core.ops;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import dev.bkd.core.BkdException;
import dev.bkd.core.djl.ModuleInvoker;
import dev.bkd.core.djl.OpsScript;
import dev.bkd.core.djl.TorchScriptArchive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GroupNorm and attention on libtorch's fused kernels (torch.group_norm,
 * torch.scaled_dot_product_attention), reached through a TorchScript module generated and loaded from
 * Java once per device. Autograd flows through them. Only for PyTorch-engine arrays.
 */
public final class TorchScriptOps {
    private static final Logger LOG = LoggerFactory.getLogger(TorchScriptOps.class);
    private static final Map<Device, Loaded> MODULES = new ConcurrentHashMap<>();

    private TorchScriptOps() {}

    /** Whether the module loaded (or loads now) on {@code device}. */
    public static boolean isAvailable(Device device) {
        return load(device).module != null;
    }

    /** Why the module is unavailable on {@code device}, or null if it is available. */
    public static String unavailableReason(Device device) {
        return load(device).failure;
    }

    /** Same contract as {@link Ops#groupNorm}. */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        OpsArgs.checkGroupNorm(x, groups, weight, bias);
        PtSymbolBlock m = module(x);
        PtNDManager out = (PtNDManager) x.getManager();
        if (bias != null) {
            if (weight != null) {
                return ModuleInvoker.call(m, OpsScript.groupNormMethod(true, true), out, x, groups, weight, bias, (double) eps);
            }
            try (NDArray ones = x.getManager().ones(bias.getShape(), bias.getDataType(), bias.getDevice())) {
                return ModuleInvoker.call(m, OpsScript.groupNormMethod(true, true), out, x, groups, ones, bias, (double) eps);
            }
        }
        if (weight != null) {
            return ModuleInvoker.call(m, OpsScript.groupNormMethod(true, false), out, x, groups, weight, (double) eps);
        }
        return ModuleInvoker.call(m, OpsScript.groupNormMethod(false, false), out, x, groups, (double) eps);
    }

    /** Same contract as {@link Ops#cast}, differentiated by libtorch. */
    public static NDArray cast(NDArray x, DataType dtype) {
        OpsArgs.checkCast(x, dtype);
        return ModuleInvoker.call(module(x), OpsScript.CAST, (PtNDManager) x.getManager(), x, scalarType(dtype));
    }

    /** Same contract as {@link Ops#adamw}: torch's own single-tensor AdamW statements. */
    public static void adamw(NDArray p, NDArray g, NDArray expAvg, NDArray expAvgSq, AdamWStep s) {
        // the method returns p itself: close only the extra handle to it
        ModuleInvoker.call(module(p), OpsScript.ADAMW, (PtNDManager) p.getManager(), p, g, expAvg, expAvgSq, s.lr(),
                s.weightDecay(), s.beta1(), s.beta2(), s.eps(), s.stepSize(), s.biasCorrection2Sqrt()).close();
    }

    /** torch's ScalarType code of a floating {@code dtype} (c10/core/ScalarType.h), as TorchScript passes dtypes. */
    static long scalarType(DataType dtype) {
        switch (dtype) {
            case FLOAT16:
                return 5;
            case FLOAT32:
                return 6;
            case FLOAT64:
                return 7;
            default:
                throw new IllegalArgumentException("cast: " + dtype + " is not float16, float32 or float64");
        }
    }

    /** Same contract as {@link Ops#attention(NDArray, NDArray, NDArray, NDArray, boolean, double)}. */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, boolean causal, double scale) {
        OpsArgs.checkAttention(q, k, v, mask, scale);
        PtSymbolBlock m = module(q);
        PtNDManager out = (PtNDManager) q.getManager();
        if (mask == null) {
            return ModuleInvoker.call(m, OpsScript.SDPA, out, q, k, v, causal, scale);
        }
        NDArray additive = OpsArgs.additiveMask(mask, q.getDataType());
        try {
            return ModuleInvoker.call(m, causal ? OpsScript.SDPA_MASK_CAUSAL : OpsScript.SDPA_MASK, out,
                    q, k, v, additive, scale);
        } finally {
            if (additive != mask) {
                additive.close();
            }
        }
    }

    private static PtSymbolBlock module(NDArray a) {
        if (!(a instanceof PtNDArray)) {
            throw new IllegalArgumentException("TorchScriptOps needs PyTorch-engine arrays, got an array of engine "
                    + a.getManager().getEngine().getEngineName());
        }
        Loaded l = load(a.getDevice());
        if (l.module == null) {
            throw new BkdException("Fast ops are unavailable on " + a.getDevice() + ": " + l.failure
                    + ". Run with -Dbkd.ops=djl to use the pure-DJL ops.");
        }
        return l.module;
    }

    private static Loaded load(Device device) {
        return MODULES.computeIfAbsent(device, TorchScriptOps::tryLoad);
    }

    private static Loaded tryLoad(Device device) {
        if (ModuleInvoker.FAILURE != null) {
            return new Loaded(null, ModuleInvoker.FAILURE);
        }
        try {
            // lives as long as the process: the module is shared by every caller on this device
            PtNDManager manager = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager(device);
            byte[] archive = TorchScriptArchive.write("ops", OpsScript.CLASS, OpsScript.source());
            PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(archive), true, false);
            LOG.debug("TorchScript ops loaded on {}", device);
            return new Loaded(block, null);
        } catch (IOException | RuntimeException e) {
            LOG.debug("TorchScript ops unavailable on {}: {}", device, e.toString());
            return new Loaded(null, "loading the TorchScript ops module failed: " + e);
        }
    }

    private static final class Loaded {
        final PtSymbolBlock module;
        final String failure;

        Loaded(PtSymbolBlock module, String failure) {
            this.module = module;
            this.failure = failure;
        }
    }
}
