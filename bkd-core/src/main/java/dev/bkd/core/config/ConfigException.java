package dev.bkd.core.config;

import dev.bkd.core.BkdException;

/** A config file that cannot be read, or holds a value bkd does not support. */
public class ConfigException extends BkdException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
