package dev.bkd.core;

/**
 * Base of every error bkd reports to a user: the message alone must say what is wrong and where
 * (file, field, line), so the CLI prints it without a stack trace.
 */
public class BkdException extends RuntimeException {
    public BkdException(String message) {
        super(message);
    }

    public BkdException(String message, Throwable cause) {
        super(message, cause);
    }
}
