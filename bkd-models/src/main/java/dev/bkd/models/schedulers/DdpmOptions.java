package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/** What {@link DDPMScheduler} reads from the config, with diffusers' DDPMScheduler defaults resolved. */
public record DdpmOptions(TimestepOptions steps, boolean clipSample, double clipSampleRange, String varianceType) {
    public static DdpmOptions of(SchedulerConfig c) {
        return new DdpmOptions(TimestepOptions.of(c, "leading"), c.clipSampleOr(true), c.clipSampleRange(),
                c.varianceTypeOr("fixed_small"));
    }
}
