package dev.bkd.examples.cli;

import dev.bkd.models.pipeline.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/** A one-line sampling progress bar on stderr: {@code 3/5 [=====>   ] 2.31 it/s, ETA 0:01}, redrawn with '\r'. */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 24;
    private final PrintWriter err;
    private final LongSupplier nanoClock;
    private final long start;

    ProgressBar(PrintWriter err, LongSupplier nanoClock) {
        this.err = err;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    @Override
    public void onStep(int step, int total, float timestep) {
        double seconds = Math.max(1e-9, (nanoClock.getAsLong() - start) / 1e9);
        double rate = step / seconds;
        err.print("\r" + line(step, total, rate));
        if (step == total) {
            err.println();
        }
        err.flush();
    }

    static String line(int step, int total, double itPerSecond) {
        int filled = (int) Math.round((double) WIDTH * step / total);
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? step == total ? "=" : ">" : "")
                + " ".repeat(WIDTH - filled);
        long eta = Math.round((total - step) / itPerSecond);
        String speed = itPerSecond >= 1 ? String.format(Locale.ROOT, "%.2f it/s", itPerSecond)
                : String.format(Locale.ROOT, "%.2f s/it", 1 / itPerSecond);
        return String.format(Locale.ROOT, "%d/%d [%s] %s, ETA %d:%02d", step, total, bar, speed, eta / 60, eta % 60);
    }
}
