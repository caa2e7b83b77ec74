package dev.bkd.models.schedulers;

import static dev.bkd.models.schedulers.Predictions.sqrt;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;

/**
 * diffusers' EulerAncestralDiscreteScheduler (k-diffusion's sample_euler_ancestral, eta = 1): an Euler step
 * down to sigma_down, then fresh noise of scale sigma_up, with sigma_down^2 + sigma_up^2 = sigma_next^2.
 * Draws one noise tensor every step (the last one too, scaled by 0), as diffusers does.
 */
public final class EulerAncestralDiscreteScheduler extends SigmaScheduler {
    public static final String CLASS_NAME = "EulerAncestralDiscreteScheduler";

    public EulerAncestralDiscreteScheduler(SchedulerConfig cfg) {
        super("euler-a", CLASS_NAME, cfg, SigmaOptions.of(cfg));
        if (steps.predictionType().equals("sample")) {
            throw unsupported("prediction_type", "sample", "\"epsilon\", \"v_prediction\"");
        }
        rejectSigmaOptions(this);
    }

    /** Options diffusers' Euler ancestral and LMS classes do not have; refused rather than silently ignored. */
    static void rejectSigmaOptions(SigmaScheduler s) {
        SigmaOptions o = s.sigmaOptions;
        if (o.logLinear()) {
            throw s.unsupported("interpolation_type", "log_linear", "\"linear\"");
        }
        if (o.finalSigmaMin()) {
            throw s.unsupported("final_sigmas_type", "sigma_min", "\"zero\"");
        }
        if (s instanceof EulerAncestralDiscreteScheduler) {
            if (o.karras()) {
                throw s.unsupported("use_karras_sigmas", true, "false");
            }
            if (o.exponential()) {
                throw s.unsupported("use_exponential_sigmas", true, "false");
            }
        }
    }

    @Override
    protected float[] computeSigmas(int n) {
        return eulerFamilySigmas(n, steps.timestepSpacing(), false, false, false, false, 0f);
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int i = currentIndex(timestep);
        float sigma = sigmas[i];
        NDArray x0 = KDiffusion.denoised(steps.predictionType(), modelOutput, sample, sigma);
        float from = sigmas[i];
        float to = sigmas[i + 1];
        float up = sqrt(to * to * (from * from - to * to) / (from * from));
        float down = sqrt(to * to - up * up);
        NDArray derivative = sample.sub(x0).div(sigma);
        NDArray prev = sample.add(derivative.mul(down - sigma));
        prev = prev.add(noise.draw().mul(up));
        advance();
        return new StepOutput(prev, x0);
    }
}
