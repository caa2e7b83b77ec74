package dev.bkd.train.loop;

import java.nio.file.Path;

/**
 * How a run ended: the optimizer step reached, what stopped it early (null when it ran to the end and saved the
 * model), and its last checkpoint.
 */
public record TrainResult(long step, String stoppedBy, Path lastCheckpoint) {
    /** True when the run reached its step count and wrote the final model. */
    public boolean completed() {
        return stoppedBy == null;
    }
}
