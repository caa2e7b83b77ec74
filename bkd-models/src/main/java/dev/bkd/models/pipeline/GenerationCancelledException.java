package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;

/** Thrown by {@link DiffusionPipeline#generate} when the request's cancel flag was raised; nothing is kept. */
public class GenerationCancelledException extends BkdException {
    public GenerationCancelledException(String message) {
        super(message);
    }
}
