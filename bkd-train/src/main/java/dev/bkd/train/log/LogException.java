package dev.bkd.train.log;

import dev.bkd.core.BkdException;

/** A training log (metrics file, loss plot) that cannot be read or written. */
public class LogException extends BkdException {
    public LogException(String message) {
        super(message);
    }

    public LogException(String message, Throwable cause) {
        super(message, cause);
    }
}
