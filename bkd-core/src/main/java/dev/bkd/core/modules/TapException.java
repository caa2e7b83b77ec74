package dev.bkd.core.modules;

import dev.bkd.core.BkdException;

/** A feature tap path that names no module, or a module that did not run. */
public class TapException extends BkdException {
    public TapException(String message) {
        super(message);
    }
}
