package dev.bkd.train;

import dev.bkd.core.BkdException;

/** A loss term became NaN or infinite: training stops instead of writing garbage weights. */
public class NonFiniteLossException extends BkdException {
    private final long step;
    private final String term;
    private final double value;

    /** {@code term} is the loss name as logged (e.g. {@code loss}, {@code loss_feat_kd}). */
    public NonFiniteLossException(long step, String term, double value) {
        super("step " + step + ": loss `" + term + "` is " + value + "; lower the learning rate, enable gradient"
                + " clipping, or resume from the last checkpoint");
        this.step = step;
        this.term = term;
        this.value = value;
    }

    /** Throws when {@code value} is NaN or infinite; returns it otherwise. */
    public static double check(long step, String term, double value) {
        if (!Double.isFinite(value)) {
            throw new NonFiniteLossException(step, term, value);
        }
        return value;
    }

    /** The optimizer step at which the loss went bad. */
    public long step() {
        return step;
    }

    /** The loss term's name. */
    public String term() {
        return term;
    }

    /** The offending value (NaN or +-Infinity). */
    public double value() {
        return value;
    }
}
