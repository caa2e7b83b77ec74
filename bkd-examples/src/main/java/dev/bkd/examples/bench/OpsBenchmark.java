package dev.bkd.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.ops.DjlOps;
import dev.bkd.core.ops.TorchScriptOps;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Times the fused (TorchScript) and pure-DJL ops at Stable Diffusion sizes: GroupNorm 1x320x64x64 (32
 * groups, affine) and self-attention 1x8x4096x40, forward only, medians after warm-up; and the peak
 * resident memory. Usable as a main or from a CLI through {@link #run}.
 */
public final class OpsBenchmark {
    /** Wall time of one op in seconds: median and fastest of the timed runs. */
    public record Timing(double medianS, double minS) {}

    /**
     * Measured numbers; RSS in KiB (-1 where /proc is unavailable); the 1-minute load average before the
     * runs, since other processes on the machine inflate the times.
     */
    public record Result(Timing groupNormTorch, Timing groupNormDjl, Timing attentionTorch, Timing attentionDjl,
            long peakRssAfterTorchKiB, long peakRssKiB, String loadAverage) {}

    private OpsBenchmark() {}

    public static void main(String[] args) {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        int gnRuns = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int attRuns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        run(gnRuns, attRuns, System.out);
    }

    /**
     * @param groupNormRuns timed GroupNorm calls per backend (after 10 warm-up calls)
     * @param attentionRuns timed attention calls per backend (after 1 warm-up call)
     */
    public static Result run(int groupNormRuns, int attentionRuns, PrintStream out) {
        if (groupNormRuns < 1 || attentionRuns < 1) {
            throw new IllegalArgumentException("benchmark runs must be >= 1, got " + groupNormRuns + " and " + attentionRuns);
        }
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            if (!TorchScriptOps.isAvailable(m.getDevice())) {
                throw new IllegalStateException("fused ops unavailable: " + TorchScriptOps.unavailableReason(m.getDevice()));
            }
            m.getEngine().setRandomSeed(0);
            NDArray x = m.randomNormal(new Shape(1, 320, 64, 64));
            NDArray w = m.randomNormal(new Shape(320));
            NDArray b = m.randomNormal(new Shape(320));
            NDArray q = m.randomNormal(new Shape(1, 8, 4096, 40));
            NDArray k = m.randomNormal(new Shape(1, 8, 4096, 40));
            NDArray v = m.randomNormal(new Shape(1, 8, 4096, 40));
            double scale = 1 / Math.sqrt(40);
            out.printf("ops benchmark on %s, %s %s, %d cores%n", m.getDevice(), m.getEngine().getEngineName(),
                    m.getEngine().getVersion(), Runtime.getRuntime().availableProcessors());

            String load = loadAverage();
            out.printf("load average before: %s%n", load);
            Timing gnTorch = time(10, groupNormRuns, () -> TorchScriptOps.groupNorm(x, 32, w, b, 1e-5f));
            print(out, "GroupNorm 1x320x64x64 (32 groups) torch", gnTorch, groupNormRuns, 1e3, "ms", null);
            Timing attTorch = time(1, attentionRuns, () -> TorchScriptOps.attention(q, k, v, null, false, scale));
            print(out, "attention 1x8x4096x40 self      torch", attTorch, attentionRuns, 1, "s", null);
            long rssTorch = ProcStatus.peakRssKiB().orElse(-1);
            out.printf("peak RSS (VmHWM) after torch runs: %.1f MiB%n", rssTorch / 1024.0);

            Timing gnDjl = time(10, groupNormRuns, () -> DjlOps.groupNorm(x, 32, w, b, 1e-5f));
            print(out, "GroupNorm 1x320x64x64 (32 groups) djl  ", gnDjl, groupNormRuns, 1e3, "ms", gnTorch);
            Timing attDjl = time(1, attentionRuns, () -> DjlOps.attention(q, k, v, null, false, scale));
            print(out, "attention 1x8x4096x40 self      djl  ", attDjl, attentionRuns, 1, "s", attTorch);
            long rss = ProcStatus.peakRssKiB().orElse(-1);
            out.printf("peak RSS (VmHWM) at end: %.1f MiB%n", rss / 1024.0);
            return new Result(gnTorch, gnDjl, attTorch, attDjl, rssTorch, rss, load);
        }
    }

    private static void print(PrintStream out, String what, Timing t, int runs, double unit, String unitName, Timing base) {
        out.printf("%s: median %.3f %s, min %.3f %s (%d runs)%s%n", what, t.medianS() * unit, unitName,
                t.minS() * unit, unitName, runs,
                base == null ? "" : String.format(", median %.1fx torch", t.medianS() / base.medianS()));
    }

    /** Wall time of {@code runs} calls after {@code warmup}; each result is freed at once. */
    private static Timing time(int warmup, int runs, Supplier<NDArray> op) {
        double[] t = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            long t0 = System.nanoTime();
            try (NDArray y = op.get()) {
                y.getShape(); // complete: libtorch CPU ops are synchronous
            }
            if (i >= warmup) {
                t[i - warmup] = (System.nanoTime() - t0) / 1e9;
            }
        }
        Arrays.sort(t);
        double median = runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
        return new Timing(median, t[0]);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
