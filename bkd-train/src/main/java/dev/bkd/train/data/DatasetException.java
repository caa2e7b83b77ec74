package dev.bkd.train.data;

import dev.bkd.core.BkdException;

/** A dataset that cannot be used (no usable items, unreadable metadata), or a bad row in strict mode. */
public class DatasetException extends BkdException {
    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
