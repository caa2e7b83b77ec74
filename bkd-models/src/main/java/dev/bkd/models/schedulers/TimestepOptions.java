package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/**
 * The options every scheduler class reads to lay out its timesteps and read the model output, with the
 * building class's own {@code timestep_spacing} default resolved (diffusers' classes disagree on it).
 */
public record TimestepOptions(int numTrainTimesteps, String predictionType, String timestepSpacing, int stepsOffset) {
    /** From the one config; {@code classSpacing} is the building class's default for an absent spacing. */
    public static TimestepOptions of(SchedulerConfig c, String classSpacing) {
        return new TimestepOptions(c.numTrainTimesteps(), c.predictionType(), c.timestepSpacingOr(classSpacing),
                c.stepsOffset());
    }
}
