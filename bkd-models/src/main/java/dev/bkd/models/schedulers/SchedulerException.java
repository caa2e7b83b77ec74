package dev.bkd.models.schedulers;

import dev.bkd.core.BkdException;

/** A scheduler used wrongly (no timesteps set, a timestep not in the schedule, mismatched shapes...). */
public class SchedulerException extends BkdException {
    public SchedulerException(String message) {
        super(message);
    }
}
