package dev.bkd.core.pickle;

import dev.bkd.core.BkdException;

/** A pickle or torch archive bkd will not read: corrupt, truncated, or outside the weights-only subset. */
public class PickleException extends BkdException {
    public PickleException(String message) {
        super(message);
    }

    public PickleException(String message, Throwable cause) {
        super(message, cause);
    }
}
