package dev.bkd.core.prune;

import dev.bkd.core.BkdException;

/** Pruning failed: the output folder, the teacher's files, or copying weights. */
public class PruneException extends BkdException {
    public PruneException(String message) {
        super(message);
    }

    public PruneException(String message, Throwable cause) {
        super(message, cause);
    }
}
