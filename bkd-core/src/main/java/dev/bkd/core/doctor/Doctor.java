package dev.bkd.core.doctor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import dev.bkd.core.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a user needs to know when bkd is slow or will not start on a machine: which libtorch was loaded from
 * where, which devices it sees, whether the fused GroupNorm/attention kernels run, the thread and OpenMP settings,
 * the offline switches; then a tiny forward (convolution, GroupNorm, attention, linear) on each device in fp32 and
 * fp16, each reported as ok or with the reason it failed. {@code bkd doctor} prints it; apps may call it.
 */
public final class Doctor {
    /** The result of one tiny forward: device, dtype, ok, and what went wrong or how far fp16 is from fp32. */
    public record Probe(String device, String dtype, boolean ok, String detail) {}

    /** Facts as ordered key/value lines, and the probes. */
    public record Report(Map<String, String> facts, List<Probe> probes) {
        /** True when every probe on {@code device} (e.g. "cpu", "cuda:0") ran; false when it is absent. */
        public boolean canRun(String device) {
            return probes.stream().anyMatch(p -> p.device().equals(device))
                    && probes.stream().filter(p -> p.device().equals(device)).allMatch(Probe::ok);
        }
    }

    private Doctor() {}

    /** Examines the engine and runs the probes on the CPU and every GPU. */
    public static Report examine() {
        Map<String, String> f = new LinkedHashMap<>();
        Engine engine = Engine.getEngine("PyTorch");
        f.put("DJL", Engine.getDjlVersion());
        f.put("engine", engine.getEngineName() + " (libtorch " + engine.getVersion() + ")");
        String path = LibUtils.getLibtorchPath();
        f.put("libtorch loaded from", path);
        f.put("libtorch source", source(path));
        f.put("flavor", flavor(path));
        f.put("intra-op threads", String.valueOf(JniUtils.getNumThreads()));
        f.put("inter-op threads", String.valueOf(JniUtils.getNumInteropThreads()));
        f.put("OMP_WAIT_POLICY", env("OMP_WAIT_POLICY", "unset (libgomp busy-waits: slow on a shared machine)"));
        f.put("OMP_NUM_THREADS", env("OMP_NUM_THREADS", "unset"));
        f.put("offline", "ai.djl.offline=" + System.getProperty("ai.djl.offline", "unset")
                + ", DJL_OFFLINE=" + env("DJL_OFFLINE", "unset"));
        f.put("telemetry", "OPT_OUT_TRACKING=" + env("OPT_OUT_TRACKING", System.getProperty("OPT_OUT_TRACKING", "unset"))
                + ("true".equalsIgnoreCase(env("OPT_OUT_TRACKING", System.getProperty("OPT_OUT_TRACKING", "")))
                        ? " (off)" : " (DJL may report usage)"));
        int gpus = engine.getGpuCount();
        f.put("devices", "cpu" + (gpus > 0 ? " + " + gpus + " GPU(s), CUDA " + CudaUtils.getCudaVersionString() : ""));
        List<Device> devices = new ArrayList<>(List.of(Device.cpu()));
        for (int i = 0; i < gpus; i++) {
            Device d = Device.gpu(i);
            devices.add(d);
            java.lang.management.MemoryUsage mem = CudaUtils.getGpuMemory(d);
            f.put("cuda:" + i, "compute capability " + CudaUtils.getComputeCapability(i) + ", "
                    + mem.getMax() / (1 << 20) + " MiB total, " + mem.getCommitted() / (1 << 20) + " MiB in use");
        }
        List<Probe> probes = new ArrayList<>();
        for (Device d : devices) {
            String name = d.isGpu() ? "cuda:" + d.getDeviceId() : "cpu";
            try (NDManager m = NDManager.newBaseManager(d)) {
                f.put("fused ops on " + name, fusedOps(m));
            } catch (RuntimeException e) {
                f.put("fused ops on " + name, "unknown: " + e.getMessage());
            }
            probes.addAll(probe(d, name));
        }
        return new Report(f, probes);
    }

    private static String fusedOps(NDManager m) {
        NDArray x = m.zeros(new Shape(1));
        return Ops.backend(x) == Ops.Backend.TORCH
                ? "yes (libtorch GroupNorm and scaled_dot_product_attention through bkd's TorchScript module)"
                : "NO: pure-DJL fallback, 2-3x slower (see the warning above for why)";
    }

    /** fp32 then fp16 on one device; fp16 is compared with fp32 (it must be close, not equal). */
    static List<Probe> probe(Device device, String name) {
        List<Probe> out = new ArrayList<>();
        float[] reference = null;
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
            String dtype = type == DataType.FLOAT32 ? "fp32" : "fp16";
            try (NDManager m = NDManager.newBaseManager(device)) {
                float[] y = tinyForward(m, type);
                for (float v : y) {
                    if (!Float.isFinite(v)) {
                        throw new IllegalStateException("non-finite output");
                    }
                }
                if (reference == null) {
                    reference = y;
                    out.add(new Probe(name, dtype, true, "ok"));
                } else {
                    double worst = 0;
                    for (int i = 0; i < y.length; i++) {
                        worst = Math.max(worst, Math.abs(y[i] - reference[i]));
                    }
                    // fp16 keeps ~3 decimal digits; values here are O(1)
                    boolean close = worst < 5e-2;
                    out.add(new Probe(name, dtype, close, close ? String.format("ok (max |fp16 - fp32| = %.1e)", worst)
                            : String.format("fp16 differs from fp32 by %.3g", worst)));
                }
            } catch (RuntimeException | Error e) {
                out.add(new Probe(name, dtype, false, e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
        }
        return out;
    }

    /** A convolution, GroupNorm, self-attention and linear layer on fixed inputs: the ops every model here uses. */
    private static float[] tinyForward(NDManager m, DataType type) {
        NDManager cpu = m.getDevice().isGpu() ? NDManager.newBaseManager(Device.cpu()) : m;
        try {
            NDArray x = ramp(cpu, new Shape(1, 4, 8, 8), 0.37f).toDevice(m.getDevice(), false).toType(type, false);
            NDArray w = ramp(cpu, new Shape(8, 4, 3, 3), 0.11f).toDevice(m.getDevice(), false).toType(type, false);
            NDArray h = ai.djl.nn.convolutional.Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1),
                    new Shape(1, 1), 1).singletonOrThrow();
            NDArray gamma = m.ones(new Shape(8), type);
            NDArray beta = m.zeros(new Shape(8), type);
            h = Ops.groupNorm(h, 2, gamma, beta, 1e-5f);
            NDArray seq = h.reshape(1, 8, 64).transpose(0, 2, 1).reshape(1, 1, 64, 8); // (batch, heads, tokens, dim)
            NDArray a = Ops.attention(seq, seq, seq, null, false);
            NDArray lw = ramp(cpu, new Shape(4, 8), 0.23f).toDevice(m.getDevice(), false).toType(type, false);
            NDArray y = a.reshape(64, 8).matMul(lw.transpose());
            return y.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        } finally {
            if (cpu != m) {
                cpu.close();
            }
        }
    }

    /** Deterministic values in [-1, 1): sin of a scaled index, so no random generator is involved. */
    private static NDArray ramp(NDManager m, Shape shape, float scale) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * scale);
        }
        return m.create(v, shape);
    }

    private static String source(String path) {
        if (System.getenv("PYTORCH_LIBRARY_PATH") != null) {
            return "PYTORCH_LIBRARY_PATH (a libtorch you supplied)";
        }
        Path p = Path.of(path);
        return p.startsWith(ai.djl.util.Utils.getEngineCacheDir("pytorch"))
                ? "DJL's cache " + ai.djl.util.Utils.getEngineCacheDir("pytorch")
                        + " (extracted from the pytorch-native jar on the class path, or downloaded once)"
                : "java.library.path";
    }

    private static String flavor(String path) {
        String env = System.getenv("PYTORCH_FLAVOR");
        // DJL's cache names folders VERSION[-BUILD]-FLAVOR-CLASSIFIER, e.g. 2.7.1-20250812-cpu-linux-x86_64
        for (String part : Path.of(path).getFileName().toString().split("-")) {
            if (part.equals("cpu") || part.matches("cu\\d+")) {
                return part;
            }
        }
        return env != null ? env + " (PYTORCH_FLAVOR)" : "unknown (set PYTORCH_FLAVOR, e.g. cu128)";
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }
}
