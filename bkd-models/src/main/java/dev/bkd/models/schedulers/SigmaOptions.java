package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/**
 * What the sigma-grid schedulers (Euler, Euler ancestral, LMS, and the grid part of DPM-Solver) read from the
 * config; all of diffusers' classes default {@code timestep_spacing} to linspace. Euler ancestral and LMS refuse
 * the options their diffusers classes lack rather than ignore them. {@code sigmaMin}/{@code sigmaMax}: null
 * means the ends of the trained schedule.
 */
public record SigmaOptions(TimestepOptions steps, boolean karras, boolean exponential, Double sigmaMin,
        Double sigmaMax, boolean logLinear, boolean finalSigmaMin) {
    public static SigmaOptions of(SchedulerConfig c) {
        return new SigmaOptions(TimestepOptions.of(c, "linspace"), c.useKarrasSigmas(), c.useExponentialSigmas(),
                c.sigmaMin(), c.sigmaMax(), c.interpolationType().equals("log_linear"),
                c.finalSigmasType().equals("sigma_min"));
    }
}
