package dev.bkd.train.loop;

import java.nio.file.Path;

/** Writes validation samples for the model as it is after {@code step} into {@code folder}. */
@FunctionalInterface
public interface Validator {
    void validate(long step, Path folder);
}
