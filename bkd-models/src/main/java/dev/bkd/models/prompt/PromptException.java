package dev.bkd.models.prompt;

import dev.bkd.core.BkdException;

/** A prompt bkd cannot turn into conditioning (too long, a weight that is not a number, a bad CLIP skip). */
public class PromptException extends BkdException {
    public PromptException(String message) {
        super(message);
    }
}
