package dev.bkd.models.schedulers;

import dev.bkd.core.config.SchedulerConfig;

/** What {@link DPMSolverMultistepScheduler} reads from the config: its sigma grid plus the solver's options. */
public record DpmSolverOptions(SigmaOptions sigma, String algorithmType, int solverOrder, boolean heun,
        boolean lowerOrderFinal, boolean eulerAtFinal, double lambdaMinClipped) {
    public static DpmSolverOptions of(SchedulerConfig c) {
        return new DpmSolverOptions(SigmaOptions.of(c), c.algorithmType(), c.solverOrder(),
                c.solverType().equals("heun"), c.lowerOrderFinal(), c.eulerAtFinal(), c.lambdaMinClipped());
    }
}
