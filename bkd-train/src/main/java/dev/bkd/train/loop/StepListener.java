package dev.bkd.train.loop;

import dev.bkd.train.log.StepMetrics;

/** Sees every finished optimizer step (tests, embedding UIs); returning false stops the run like Ctrl-C. */
@FunctionalInterface
public interface StepListener {
    boolean afterStep(StepMetrics metrics);
}
