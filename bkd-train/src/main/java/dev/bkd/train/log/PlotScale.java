package dev.bkd.train.log;

import java.util.ArrayList;
import java.util.List;

/** Maps (step, loss) to pixels: linear in step, log10 in loss, over the data's range with a little margin. */
record PlotScale(int left, int top, int width, int height, long minStep, long maxStep, double logMin, double logMax) {
    static PlotScale of(List<StepMetrics> rows, int left, int top, int width, int height) {
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        double vLo = Double.POSITIVE_INFINITY;
        double vHi = Double.NEGATIVE_INFINITY;
        for (StepMetrics r : rows) {
            lo = Math.min(lo, r.step());
            hi = Math.max(hi, r.step());
            for (double v : r.losses().values()) {
                if (v > 0 && !Double.isInfinite(v)) {
                    vLo = Math.min(vLo, Math.log10(v));
                    vHi = Math.max(vHi, Math.log10(v));
                }
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 1;
        }
        if (lo == hi) {
            hi = lo + 1;
        }
        if (vLo > vHi) {
            vLo = -1;
            vHi = 0;
        }
        double pad = Math.max(0.05 * (vHi - vLo), 0.05);
        return new PlotScale(left, top, width, height, lo, hi, vLo - pad, vHi + pad);
    }

    /** Pixel column of {@code step}. */
    double x(long step) {
        return left + (double) (step - minStep) / (maxStep - minStep) * width;
    }

    /** Pixel row of {@code value} (> 0). */
    double y(double value) {
        return top + (logMax - Math.log10(value)) / (logMax - logMin) * height;
    }

    /** About five round step values inside the range. */
    List<Long> stepTicks() {
        double raw = (maxStep - minStep) / 5.0;
        double mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
        long unit = (long) Math.max(1, (raw / mag >= 5 ? 5 : raw / mag >= 2 ? 2 : 1) * mag);
        List<Long> out = new ArrayList<>();
        for (long t = (minStep + unit - 1) / unit * unit; t <= maxStep; t += unit) {
            out.add(t);
        }
        return out;
    }

    /** Powers of ten inside the range, or 1-2-5 steps when it spans less than two decades. */
    List<Double> valueTicks() {
        List<Double> out = new ArrayList<>();
        boolean fine = logMax - logMin < 2;
        for (int e = (int) Math.floor(logMin); e <= (int) Math.ceil(logMax); e++) {
            for (double m : fine ? new double[] {1, 2, 5} : new double[] {1}) {
                double v = m * Math.pow(10, e);
                double l = Math.log10(v);
                if (l >= logMin && l <= logMax) {
                    out.add(v);
                }
            }
        }
        return out;
    }
}
