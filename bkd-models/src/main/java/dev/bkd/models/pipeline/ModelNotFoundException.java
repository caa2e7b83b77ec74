package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;

/** A model named by folder or hub id that is not on disk; the message lists every place looked at. */
public class ModelNotFoundException extends BkdException {
    public ModelNotFoundException(String message) {
        super(message);
    }
}
