package dev.bkd.train.cache;

import dev.bkd.core.BkdException;

/** A latent cache that cannot be built, opened or read. */
public class CacheException extends BkdException {
    public CacheException(String message) {
        super(message);
    }

    public CacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
