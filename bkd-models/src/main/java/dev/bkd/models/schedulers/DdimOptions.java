package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/**
 * What {@link DDIMScheduler} reads from the config, with diffusers' DDIMScheduler defaults resolved; {@code eta}
 * is DDIM's per-call eta (0: deterministic).
 */
public record DdimOptions(TimestepOptions steps, boolean setAlphaToOne, boolean clipSample, double clipSampleRange,
        double eta) {
    public static DdimOptions of(SchedulerConfig c) {
        return new DdimOptions(TimestepOptions.of(c, "leading"), c.setAlphaToOneOr(true), c.clipSampleOr(true),
                c.clipSampleRange(), c.eta());
    }
}
