package dev.bkd.models.schedulers;

import java.util.Arrays;

/**
 * The part of a schedule image-to-image and inpainting run, as diffusers' {@code get_timesteps}:
 * init_timestep = min(int(steps x strength), steps) in Python float arithmetic (10 x 0.3 = 3.0000000000000004
 * gives 3), t_start = steps - init_timestep, the timesteps from index t_start x order on, and
 * {@code set_begin_index(t_start x order)} on schedulers that have it. The init image is noised to the first of
 * them ({@link #latentTimestep}).
 *
 * @param initTimestep diffusers' init_timestep: how many of the steps run
 * @param tStart the number of skipped steps
 * @param timesteps the timesteps that run, in order
 * @param beginIndexSet whether the scheduler took the begin index (sigma-space schedulers)
 */
public record StrengthSchedule(int initTimestep, int tStart, float[] timesteps, boolean beginIndexSet) {

    /**
     * Sets {@code steps} timesteps on {@code scheduler} and truncates them for {@code strength} in (0, 1].
     *
     * @throws SchedulerException if the strength is outside (0, 1] or leaves no step to run
     */
    public static StrengthSchedule apply(Scheduler scheduler, int steps, double strength) {
        if (!(strength > 0 && strength <= 1)) {
            throw new SchedulerException("strength = " + strength + " is outside (0, 1]: 1 repaints from pure"
                    + " noise, small values keep more of the init image");
        }
        scheduler.setTimesteps(steps);
        int init = Math.min((int) (steps * strength), steps);
        if (init == 0) {
            throw new SchedulerException("strength " + strength + " x " + steps + " steps rounds down to 0"
                    + " denoising steps; raise the strength or the number of steps (int(steps x strength) >= 1)");
        }
        int tStart = Math.max(steps - init, 0);
        float[] all = scheduler.timesteps();
        float[] run = Arrays.copyOfRange(all, tStart * scheduler.order(), all.length);
        boolean begin = scheduler.setBeginIndex(tStart * scheduler.order());
        return new StrengthSchedule(init, tStart, run, begin);
    }

    /** The timestep the init image is noised to: the first one run. */
    public float latentTimestep() {
        return timesteps[0];
    }

    @Override
    public float[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StrengthSchedule s && s.initTimestep == initTimestep && s.tStart == tStart
                && Arrays.equals(s.timesteps, timesteps) && s.beginIndexSet == beginIndexSet;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(timesteps) + tStart;
    }

    @Override
    public String toString() {
        return "StrengthSchedule[initTimestep=" + initTimestep + ", tStart=" + tStart + ", timesteps="
                + Arrays.toString(timesteps) + ", beginIndexSet=" + beginIndexSet + "]";
    }
}
