package dev.bkd.models.image;

import dev.bkd.core.BkdException;

/** An init image or mask that cannot be used (unreadable, wrong size, empty); the message says what to change. */
public class ImageInputException extends BkdException {
    public ImageInputException(String message) {
        super(message);
    }
}
