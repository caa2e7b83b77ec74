package dev.bkd.core.weights;

import dev.bkd.core.BkdException;

/** Weights that cannot be located or opened; the message names the folder or file and what to do. */
public class WeightFileException extends BkdException {
    public WeightFileException(String message) {
        super(message);
    }
}
