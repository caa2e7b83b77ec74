package dev.bkd.core.weights;

import dev.bkd.core.BkdException;

/** A tensor that must hold ordinary numbers holds NaN or Inf; the message names the tensor and its source. */
public class NonFiniteException extends BkdException {
    public NonFiniteException(String message) {
        super(message);
    }
}
