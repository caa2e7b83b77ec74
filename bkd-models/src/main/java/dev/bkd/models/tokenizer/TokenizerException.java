package dev.bkd.models.tokenizer;

import dev.bkd.core.BkdException;

/** A tokenizer folder that cannot be loaded: the message names the file (and line) and the problem. */
public class TokenizerException extends BkdException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
