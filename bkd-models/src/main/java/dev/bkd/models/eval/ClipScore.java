package dev.bkd.models.eval;

/**
 * torchmetrics 1.9 {@code CLIPScore}: each pair scores 100·cos(image, text); {@code update} adds the scores up,
 * {@code compute} returns max(sum / n, 0). The clamp is on the mean, not on each pair (the torchmetrics docstring
 * says otherwise; its code does this, and a negative pair lowers the mean).
 */
public final class ClipScore {
    private double sum;
    private long count;

    /** 100·cos per row of two (n, d) embedding matrices (unnormalised, as get_*_features return them). */
    public static double[] pairScores(float[][] image, float[][] text) {
        if (image.length != text.length) {
            throw new IllegalArgumentException("CLIP score needs one caption per image: " + image.length
                    + " images, " + text.length + " captions");
        }
        double[] out = new double[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = 100.0 * cosine(image[i], text[i]);
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("embedding widths differ: " + a.length + " vs " + b.length);
        }
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / (Math.sqrt(aa) * Math.sqrt(bb));
    }

    /** Adds a batch of pair scores (from {@link #pairScores}). */
    public ClipScore update(double[] scores) {
        for (double s : scores) {
            sum += s;
        }
        count += scores.length;
        return this;
    }

    public long count() {
        return count;
    }

    /** max(mean, 0), torchmetrics' value; NaN before any update. */
    public double compute() {
        return count == 0 ? Double.NaN : Math.max(sum / count, 0.0);
    }
}
