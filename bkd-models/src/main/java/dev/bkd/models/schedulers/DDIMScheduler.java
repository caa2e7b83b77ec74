package dev.bkd.models.schedulers;

import static dev.bkd.models.schedulers.Predictions.sqrt;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;

/**
 * diffusers' DDIMScheduler (Song et al. 2020, arXiv:2010.02502, eq. 12). {@code eta} (config field, default 0)
 * scales the stochastic part: 0 is the deterministic DDIM sampler, 1 matches DDPM's posterior variance.
 */
public final class DDIMScheduler extends AbstractScheduler {
    public static final String CLASS_NAME = "DDIMScheduler";

    private final DdimOptions opts;
    private final float finalAlphaCumprod;
    private final boolean clipSample;
    private int numInferenceSteps;

    public DDIMScheduler(SchedulerConfig cfg) {
        this(cfg, DdimOptions.of(cfg));
    }

    private DDIMScheduler(SchedulerConfig cfg, DdimOptions opts) {
        super("ddim", CLASS_NAME, cfg, opts.steps());
        this.opts = opts;
        this.finalAlphaCumprod = opts.setAlphaToOne() ? 1f : schedule.alphaCumprod(0);
        this.clipSample = opts.clipSample();
    }

    @Override
    protected float[] computeTimesteps(int n) {
        numInferenceSteps = n;
        return ScheduleMath.toFloats(ScheduleMath.spacedTimesteps(
                steps.timestepSpacing(), steps.numTrainTimesteps(), n, steps.stepsOffset(), true));
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int t = discreteTimestep(timestep);
        int prevT = t - steps.numTrainTimesteps() / numInferenceSteps;
        float a = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float b = 1f - a;

        NDArray x0 = Predictions.x0(steps.predictionType(), modelOutput, sample, a, b);
        NDArray eps = Predictions.eps(steps.predictionType(), modelOutput, sample, x0, a, b);
        if (clipSample) {
            float r = (float) opts.clipSampleRange();
            x0 = x0.clip(-r, r);
        }
        float bPrev = 1f - aPrev;
        float variance = (bPrev / b) * (1f - a / aPrev);
        float std = (float) opts.eta() * sqrt(variance);
        NDArray direction = eps.mul(sqrt(1f - aPrev - std * std));
        NDArray prev = x0.mul(sqrt(aPrev)).add(direction);
        if (opts.eta() > 0) {
            prev = prev.add(noise.draw().mul(std));
        }
        return new StepOutput(prev, x0);
    }
}
