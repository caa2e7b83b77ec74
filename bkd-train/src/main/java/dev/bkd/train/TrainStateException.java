package dev.bkd.train;

import dev.bkd.core.BkdException;

/** Saved training state (optimizer, EMA, data position) does not fit the run restoring it. */
public class TrainStateException extends BkdException {
    public TrainStateException(String message) {
        super(message);
    }
}
