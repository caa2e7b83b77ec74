package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/** What {@link PNDMScheduler} reads from the config, with diffusers' PNDMScheduler defaults resolved. */
public record PndmOptions(TimestepOptions steps, boolean setAlphaToOne, boolean skipPrkSteps) {
    public static PndmOptions of(SchedulerConfig c) {
        return new PndmOptions(TimestepOptions.of(c, "leading"), c.setAlphaToOneOr(false), c.skipPrkSteps());
    }
}
