package dev.bkd.core.unet;

import dev.bkd.core.BkdException;

/** Inputs to a UNet forward whose shape or dtype does not fit the model. */
public class UNetInputException extends BkdException {
    public UNetInputException(String message) {
        super(message);
    }
}
