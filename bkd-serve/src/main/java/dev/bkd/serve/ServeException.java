package dev.bkd.serve;

import dev.bkd.core.BkdException;

/** The server cannot start or stop (address taken, exposed without a key, ...). */
public final class ServeException extends BkdException {
    public ServeException(String message) {
        super(message);
    }

    public ServeException(String message, Throwable cause) {
        super(message, cause);
    }
}
