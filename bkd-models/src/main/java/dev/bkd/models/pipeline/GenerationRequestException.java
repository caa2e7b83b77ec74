package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;

/** A generation request with a bad value; {@link #field()} names it (e.g. {@code width}, {@code latents}). */
public class GenerationRequestException extends BkdException {
    private final String field;

    public GenerationRequestException(String field, String problem) {
        super("generation request: `" + field + "` " + problem);
        this.field = field;
    }

    /** The request field at fault, as named by {@link GenerationRequest.Builder}'s setters. */
    public String field() {
        return field;
    }
}
