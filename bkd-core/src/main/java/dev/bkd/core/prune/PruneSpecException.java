package dev.bkd.core.prune;

/** A prune spec is malformed, or does not fit the teacher it is applied to (names the spec and the field). */
public class PruneSpecException extends PruneException {
    public PruneSpecException(String message) {
        super(message);
    }

    public PruneSpecException(String message, Throwable cause) {
        super(message, cause);
    }
}
