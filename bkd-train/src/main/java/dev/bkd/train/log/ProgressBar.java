package dev.bkd.train.log;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A one-line progress display: {@code step 120/1000 [###-------] 12% | loss 0.1234 | 3.2 img/s | ETA 0:45:12}.
 * On a terminal the line is redrawn in place; otherwise (logs, CI) a plain line is printed every
 * {@code plainEvery} steps and at the last step. ETA comes from the pace since the first update, so a resumed
 * run does not count the steps it skipped.
 */
public final class ProgressBar {
    private double dataWait = Double.NaN;
    private static final int BAR = 20;

    private final PrintStream out;
    private final long total;
    private final boolean interactive;
    private final int plainEvery;
    private final LongSupplier nanoClock;
    private long firstStep = -1;
    private long firstNanos;
    private int lastWidth;

    /** Full control, for tests and embedding. */
    public ProgressBar(PrintStream out, long total, boolean interactive, int plainEvery, LongSupplier nanoClock) {
        if (total <= 0 || plainEvery <= 0) {
            throw new IllegalArgumentException("total and plainEvery must be positive");
        }
        this.out = out;
        this.total = total;
        this.interactive = interactive;
        this.plainEvery = plainEvery;
        this.nanoClock = nanoClock;
    }

    /** On stderr; redraws in place only when attached to a terminal (and TERM is not "dumb"). */
    public static ProgressBar forStderr(long total, int plainEvery) {
        boolean tty = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        return new ProgressBar(System.err, total, tty, plainEvery, System::nanoTime);
    }

    /** Reports that {@code step} (1-based count of finished steps) is done. */
    public void update(long step, Map<String, Double> losses, double imagesPerSecond) {
        update(step, losses, imagesPerSecond, Double.NaN);
    }

    /**
     * As above, with the fraction of the step's time spent waiting for its data ({@code NaN}: not shown), so a run
     * that is limited by image decoding or the frozen encoders says so.
     */
    public void update(long step, Map<String, Double> losses, double imagesPerSecond, double dataWait) {
        this.dataWait = dataWait;
        long now = nanoClock.getAsLong();
        if (firstStep < 0) {
            firstStep = step;
            firstNanos = now;
        }
        String line = line(step, losses, imagesPerSecond, now);
        if (interactive) {
            String padded = line + " ".repeat(Math.max(0, lastWidth - line.length()));
            lastWidth = line.length();
            out.print("\r" + padded);
            out.flush();
        } else if (step == firstStep || step % plainEvery == 0 || step >= total) {
            out.println(line);
        }
    }

    /** Ends the in-place line so later output starts on a fresh one. */
    public void finish() {
        if (interactive && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
    }

    String line(long step, Map<String, Double> losses, double imagesPerSecond, long now) {
        StringBuilder b = new StringBuilder();
        double frac = Math.min(1.0, Math.max(0.0, (double) step / total));
        int filled = (int) Math.round(frac * BAR);
        b.append("step ").append(step).append('/').append(total).append(" [")
                .append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ")
                .append(Math.round(frac * 100)).append('%');
        if (!losses.isEmpty()) {
            b.append(" |");
            losses.forEach((k, v) -> b.append(' ').append(k).append(' ').append(String.format(Locale.ROOT, "%.4g", v)));
        }
        b.append(" | ").append(String.format(Locale.ROOT, "%.2f", imagesPerSecond)).append(" img/s");
        if (!Double.isNaN(dataWait)) {
            b.append(" | data ").append(Math.round(dataWait * 100)).append('%');
        }
        b.append(" | ETA ").append(eta(step, now));
        return b.toString();
    }

    private String eta(long step, long now) {
        long done = step - firstStep;
        if (done <= 0) {
            return "?";
        }
        double secondsPerStep = (now - firstNanos) / 1e9 / done;
        long left = Math.max(0, Math.round(secondsPerStep * (total - step)));
        return String.format(Locale.ROOT, "%d:%02d:%02d", left / 3600, left / 60 % 60, left % 60);
    }
}
