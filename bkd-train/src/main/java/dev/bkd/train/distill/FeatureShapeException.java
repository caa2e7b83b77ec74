package dev.bkd.train.distill;

import dev.bkd.core.BkdException;

/** Feature pairs whose teacher and student outputs differ in shape, found by the start-up probe. */
public class FeatureShapeException extends BkdException {
    public FeatureShapeException(String message) {
        super(message);
    }
}
