package dev.bkd.core.singlefile;

import dev.bkd.core.BkdException;

/** A single-file checkpoint bkd cannot import or a model it cannot export; the message names the file and why. */
public class SingleFileException extends BkdException {
    public SingleFileException(String message) {
        super(message);
    }
}
