package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.NoiseSource;

/**
 * A diffusion sampler with diffusers' semantics. Sampling loop:
 *
 * <pre>{@code
 * scheduler.setTimesteps(steps);
 * NDArray x = generator.randn(manager, shape).mul(scheduler.initNoiseSigma());
 * for (float t : scheduler.timesteps()) {
 *     NDArray eps = unet(scheduler.scaleModelInput(x, t), t);
 *     x = scheduler.step(eps, t, x, generator).prevSample();
 * }
 * }</pre>
 *
 * <p>A scheduler is stateful (multistep history, step counter) and not thread-safe. {@link #setTimesteps} resets
 * all of that state and frees its arrays; {@link #close} frees them for good. Arrays a call returns belong to
 * the manager of the {@code sample} it was given.
 */
public interface Scheduler extends AutoCloseable {

    /** The factory name ({@code pndm, ddim, ddpm, euler, euler-a, dpm++2m, lms}). */
    String name();

    /** The config this scheduler runs on, labelled with its diffusers class name (ready to save). */
    SchedulerConfig config();

    /** Betas and alphas_cumprod of the training schedule. */
    NoiseSchedule noiseSchedule();

    /** Chooses {@code numInferenceSteps} timesteps and resets all sampling state (history, counters). */
    void setTimesteps(int numInferenceSteps);

    /** The timesteps to visit, in order (integer-valued for discrete schedulers). Requires setTimesteps. */
    float[] timesteps();

    /**
     * diffusers' {@code order}: schedule entries per model evaluation. Image-to-image starts at
     * {@code timesteps()[tStart * order()]}; 1 for every scheduler bkd has (a second-order Heun would be 2).
     */
    default int order() {
        return 1;
    }

    /**
     * diffusers' {@code set_begin_index}, which image-to-image calls after truncating the schedule: the first step
     * (and {@link #addNoise} before it) uses schedule index {@code index} instead of looking the timestep up.
     * Returns false for schedulers that have no such method in diffusers (DDIM, DDPM, PNDM: they take the
     * timestep's value, so a truncated schedule needs nothing more). {@link #setTimesteps} clears it.
     */
    default boolean setBeginIndex(int index) {
        return false;
    }

    /** Standard deviation of the initial noise: multiply unit Gaussian latents by this. */
    float initNoiseSigma();

    /** The model input for timestep {@code t} (some schedulers return {@code sample} itself). */
    NDArray scaleModelInput(NDArray sample, float timestep);

    /**
     * One reverse-diffusion step from {@code timestep}. Stochastic schedulers draw their variance noise from
     * {@code generator} (which may be null for deterministic ones).
     */
    StepOutput step(NDArray modelOutput, float timestep, NDArray sample, NoiseSource generator);

    /** {@link #step} with the variance noise given explicitly (same shape as sample; ignored if unused). */
    StepOutput stepWithNoise(NDArray modelOutput, float timestep, NDArray sample, NDArray varianceNoise);

    /**
     * Noises clean samples to the given integer timesteps (shape (B)). Training schedulers use the
     * variance-preserving forward process; sigma-space schedulers (Euler, Euler ancestral, LMS) return
     * x0 + sigma * noise at timesteps of their current schedule, like diffusers.
     */
    NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps);

    /** The v-prediction training target sqrt(acp) noise - sqrt(1 - acp) sample at integer timesteps (B). */
    default NDArray getVelocity(NDArray sample, NDArray noise, NDArray timesteps) {
        return noiseSchedule().getVelocity(sample, noise, timesteps);
    }

    /** Frees the scheduler's history arrays. */
    @Override
    void close();
}
