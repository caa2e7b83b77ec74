package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;

/**
 * diffusers' EulerDiscreteScheduler: Euler's method on the probability-flow ODE in sigma space (Karras et al.
 * 2022, arXiv:2206.00364, Algorithm 2 without churn), optionally on Karras or exponential sigmas.
 */
public final class EulerDiscreteScheduler extends SigmaScheduler {
    public static final String CLASS_NAME = "EulerDiscreteScheduler";

    public EulerDiscreteScheduler(SchedulerConfig cfg) {
        super("euler", CLASS_NAME, cfg, SigmaOptions.of(cfg));
    }

    @Override
    protected float[] computeSigmas(int n) {
        SigmaOptions o = sigmaOptions;
        float last = o.finalSigmaMin() ? schedule.sigma(0) : 0f;
        return eulerFamilySigmas(n, steps.timestepSpacing(), o.karras(), o.exponential(), o.logLinear(), true, last);
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int i = currentIndex(timestep);
        float sigma = sigmas[i];
        NDArray x0 = KDiffusion.denoised(steps.predictionType(), modelOutput, sample, sigma);
        NDArray derivative = sample.sub(x0).div(sigma);
        float dt = sigmas[i + 1] - sigma;
        NDArray prev = sample.add(derivative.mul(dt));
        advance();
        return new StepOutput(prev, x0);
    }
}
