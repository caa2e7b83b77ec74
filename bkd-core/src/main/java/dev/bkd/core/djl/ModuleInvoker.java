package dev.bkd.core.djl;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Runs a method of a loaded TorchScript module with autograd as the calling thread has it, like any
 * other DJL op. DJL's public {@code IValueUtils.runMethod} always disables autograd (it is an
 * inference API), so training could not backpropagate through it; the native entry point under it
 * takes an is-train flag and is reached here by reflection (DJL 0.36 internals).
 */
public final class ModuleInvoker {
    private static final MethodHandle RUN; // (long module, String method, long[] args, boolean train, boolean stream) -> long
    private static final MethodHandle IVALUE; // (long handle) -> IValue
    /** Why the bridge is unusable with this DJL version, or null. */
    public static final String FAILURE;

    static {
        MethodHandle run = null;
        MethodHandle ivalue = null;
        String failure = null;
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field instance = lib.getDeclaredField("LIB");
            instance.setAccessible(true);
            Method m = lib.getDeclaredMethod("moduleRunMethod",
                    long.class, String.class, long[].class, boolean.class, boolean.class);
            m.setAccessible(true);
            run = MethodHandles.lookup().unreflect(m).bindTo(instance.get(null));
            Constructor<IValue> c = IValue.class.getDeclaredConstructor(long.class);
            c.setAccessible(true);
            ivalue = MethodHandles.lookup().unreflectConstructor(c);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            failure = "this DJL version has no PyTorchLibrary.moduleRunMethod(long, String, long[], boolean, boolean)"
                    + " or IValue(long) (" + e + ")";
        }
        RUN = run;
        IVALUE = ivalue;
        FAILURE = failure;
    }

    private ModuleInvoker() {}

    /**
     * Calls {@code module.method(args)} and returns its tensor result attached to {@code out}. Arguments
     * may be {@link PtNDArray}, Long/Integer (TorchScript int), Double/Float (float) or Boolean (bool).
     */
    public static PtNDArray call(PtSymbolBlock module, String method, PtNDManager out, Object... args) {
        if (FAILURE != null) {
            throw new IllegalStateException(FAILURE);
        }
        IValue[] in = new IValue[args.length];
        try {
            long[] handles = new long[args.length];
            for (int i = 0; i < args.length; i++) {
                in[i] = toIValue(args[i]);
                handles[i] = in[i].getHandle();
            }
            long result = (long) RUN.invokeExact(module.getHandle().longValue(), method, handles, true, false);
            try (IValue r = (IValue) IVALUE.invokeExact(result)) {
                return r.toTensor(out);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling TorchScript method " + method, t);
        } finally {
            for (IValue v : in) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    private static IValue toIValue(Object a) {
        if (a instanceof PtNDArray) {
            return IValue.from((PtNDArray) a);
        } else if (a instanceof Long || a instanceof Integer) {
            return IValue.from(((Number) a).longValue());
        } else if (a instanceof Double || a instanceof Float) {
            return IValue.from(((Number) a).doubleValue());
        } else if (a instanceof Boolean) {
            return IValue.from((Boolean) a);
        }
        throw new IllegalArgumentException("cannot pass " + (a == null ? "null" : a.getClass().getName())
                + " to a TorchScript method");
    }
}
