package dev.bkd.models.eval;

import dev.bkd.core.BkdException;

/** An image or image folder given to an evaluation cannot be used; the message names the file. */
public class ImageFileException extends BkdException {
    public ImageFileException(String message) {
        super(message);
    }
}
