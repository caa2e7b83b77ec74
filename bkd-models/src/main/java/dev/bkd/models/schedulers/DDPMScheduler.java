package dev.bkd.models.schedulers;

import static dev.bkd.models.schedulers.Predictions.sqrt;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;

/**
 * diffusers' DDPMScheduler (Ho et al. 2020, arXiv:2006.11239): ancestral sampling from the posterior
 * q(x_{t-1} | x_t, x0) (eq. 6-7), and the training-side forward process ({@link #addNoise}, {@link #getVelocity}).
 * {@code variance_type}: fixed_small (posterior variance, default), fixed_small_log (the same, via logs) or
 * fixed_large (beta_t).
 */
public final class DDPMScheduler extends AbstractScheduler {
    public static final String CLASS_NAME = "DDPMScheduler";

    private final DdpmOptions opts;
    private final boolean clipSample;
    private final String varianceType;
    private int numInferenceSteps;

    public DDPMScheduler(SchedulerConfig cfg) {
        this(cfg, DdpmOptions.of(cfg));
    }

    private DDPMScheduler(SchedulerConfig cfg, DdpmOptions opts) {
        super("ddpm", CLASS_NAME, cfg, opts.steps());
        this.opts = opts;
        this.clipSample = opts.clipSample();
        this.varianceType = opts.varianceType();
    }

    @Override
    protected float[] computeTimesteps(int n) {
        numInferenceSteps = n;
        return ScheduleMath.toFloats(ScheduleMath.spacedTimesteps(
                steps.timestepSpacing(), steps.numTrainTimesteps(), n, steps.stepsOffset(), true));
    }

    private int previousTimestep(int t) {
        return t - steps.numTrainTimesteps() / numInferenceSteps;
    }

    /**
     * The variance diffusers' _get_variance returns for timestep t (before the square root / exp that scales
     * the noise): posterior variance clamped at 1e-20, its exp(0.5 log) form, or beta_t.
     */
    public float variance(int t) {
        requireTimesteps();
        schedule.checkTimestep(t);
        int prevT = previousTimestep(t);
        float a = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : 1f;
        float beta = 1f - a / aPrev;
        float v = (1f - aPrev) / (1f - a) * beta;
        v = Math.max(v, 1e-20f);
        return switch (varianceType) {
            case "fixed_small" -> v;
            case "fixed_small_log" -> (float) Math.exp(0.5f * (float) Math.log(v));
            case "fixed_large" -> beta;
            default -> throw new IllegalStateException("variance_type " + varianceType); // rejected by the config
        };
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int t = discreteTimestep(timestep);
        int prevT = previousTimestep(t);
        float a = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : 1f;
        float b = 1f - a;
        float bPrev = 1f - aPrev;
        float currentAlpha = a / aPrev;
        float currentBeta = 1f - currentAlpha;

        NDArray x0 = Predictions.x0(steps.predictionType(), modelOutput, sample, a, b);
        if (clipSample) {
            float r = (float) opts.clipSampleRange();
            x0 = x0.clip(-r, r);
        }
        // eq. 7: posterior mean
        float x0Coeff = sqrt(aPrev) * currentBeta / b;
        float sampleCoeff = sqrt(currentAlpha) * bPrev / b;
        NDArray prev = x0.mul(x0Coeff).add(sample.mul(sampleCoeff));
        if (t > 0) {
            float v = variance(t);
            float scale = varianceType.equals("fixed_small_log") ? v : sqrt(v);
            prev = prev.add(noise.draw().mul(scale));
        }
        return new StepOutput(prev, x0);
    }
}
