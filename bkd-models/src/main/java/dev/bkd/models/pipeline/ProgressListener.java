package dev.bkd.models.pipeline;

/** Told after each denoising step; runs on the generating thread, so keep it short. */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param step      steps done so far (1..total)
     * @param total     number of UNet evaluations in this run (PNDM runs one more than requested, like diffusers)
     * @param timestep  the timestep just denoised
     */
    void onStep(int step, int total, float timestep);
}
