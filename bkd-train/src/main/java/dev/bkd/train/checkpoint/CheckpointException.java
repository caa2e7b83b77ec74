package dev.bkd.train.checkpoint;

import dev.bkd.core.BkdException;

/** A checkpoint that cannot be written, found, or used to resume. */
public class CheckpointException extends BkdException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
