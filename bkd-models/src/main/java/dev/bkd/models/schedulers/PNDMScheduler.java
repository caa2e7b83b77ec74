package dev.bkd.models.schedulers;

import static dev.bkd.models.schedulers.Predictions.sqrt;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * diffusers' PNDMScheduler (Liu et al. 2022, arXiv:2202.09778). With {@code skip_prk_steps} (Stable Diffusion's
 * setting) it is PLMS: a 4th-order linear multistep method warmed up with a second-order step that re-visits
 * the first timestep (hence the duplicated second timestep). Without it, three Runge-Kutta (PRK) steps of four
 * model calls each warm the history up first.
 */
public final class PNDMScheduler extends AbstractScheduler {
    public static final String CLASS_NAME = "PNDMScheduler";
    private static final int PNDM_ORDER = 4;

    private final PndmOptions opts;
    private final float finalAlphaCumprod;
    private int numInferenceSteps;
    private int[] prkTimesteps;
    // running values, reset by setTimesteps
    private final List<NDArray> ets = new ArrayList<>();
    private int counter;
    private NDArray curModelOutput;
    private NDArray curSample;

    public PNDMScheduler(SchedulerConfig cfg) {
        this(cfg, PndmOptions.of(cfg));
    }

    private PNDMScheduler(SchedulerConfig cfg, PndmOptions opts) {
        super("pndm", CLASS_NAME, cfg, opts.steps());
        this.opts = opts;
        if (steps.predictionType().equals("sample")) {
            throw unsupported("prediction_type", "sample", "\"epsilon\", \"v_prediction\"");
        }
        this.finalAlphaCumprod = opts.setAlphaToOne() ? 1f : schedule.alphaCumprod(0);
    }

    @Override
    protected float[] computeTimesteps(int n) {
        numInferenceSteps = n;
        String spacing = steps.timestepSpacing();
        // ascending, as diffusers' _timesteps
        double[] asc = ScheduleMath.reversed(
                ScheduleMath.spacedTimesteps(spacing, steps.numTrainTimesteps(), n, steps.stepsOffset(), true));
        List<Integer> prk = new ArrayList<>();
        List<Integer> plms = new ArrayList<>();
        if (opts.skipPrkSteps()) {
            plmsWithRepeatedStart(asc, plms);
        } else {
            prkWarmUp(asc, n, prk, plms);
        }
        prkTimesteps = prk.stream().mapToInt(Integer::intValue).toArray();
        ets.clear();
        counter = 0;
        curModelOutput = null;
        curSample = null;
        float[] out = new float[prk.size() + plms.size()];
        int k = 0;
        for (int v : prk) {
            out[k++] = v;
        }
        for (int v : plms) {
            out[k++] = v;
        }
        return out;
    }

    /** diffusers: concat(_timesteps[:-1], _timesteps[-2:-1], _timesteps[-1:])[::-1]. */
    private static void plmsWithRepeatedStart(double[] asc, List<Integer> plms) {
        int len = asc.length;
        for (int i = 0; i < len - 1; i++) {
            plms.add((int) asc[i]);
        }
        if (len >= 2) {
            plms.add((int) asc[len - 2]);
        }
        plms.add((int) asc[len - 1]);
        Collections.reverse(plms);
    }

    /**
     * Three RK blocks over the top four timesteps, each visiting t, t - delta/2 (twice) and t - delta, then PLMS
     * from the fourth timestep down (diffusers' prk_timesteps / plms_timesteps).
     */
    private void prkWarmUp(double[] asc, int n, List<Integer> prk, List<Integer> plms) {
        if (asc.length < PNDM_ORDER) {
            throw new SchedulerException("pndm: without skip_prk_steps PNDM needs at least " + PNDM_ORDER
                    + " inference steps, got " + n);
        }
        int half = steps.numTrainTimesteps() / n / 2;
        List<Integer> pairs = new ArrayList<>(); // each of the top four timesteps followed by its half step
        for (int i = asc.length - PNDM_ORDER; i < asc.length; i++) {
            pairs.add((int) asc[i]);
            pairs.add((int) asc[i] + half);
        }
        pairs.remove(pairs.size() - 1);
        List<Integer> doubled = new ArrayList<>();
        for (int v : pairs) {
            doubled.add(v);
            doubled.add(v);
        }
        List<Integer> inner = doubled.subList(1, doubled.size() - 1);
        for (int i = inner.size() - 1; i >= 0; i--) {
            prk.add(inner.get(i));
        }
        for (int i = asc.length - PNDM_ORDER; i >= 0; i--) {
            plms.add((int) asc[i]);
        }
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int t = discreteTimestep(timestep);
        NDArray prev = counter < prkTimesteps.length && !opts.skipPrkSteps()
                ? stepPrk(scope, modelOutput, t, sample)
                : stepPlms(scope, modelOutput, t, sample);
        counter++;
        return new StepOutput(prev, null);
    }

    private NDArray stepPrk(Scope scope, NDArray modelOutput, int timestep, NDArray sample) {
        int diffToPrev = counter % 2 != 0 ? 0 : steps.numTrainTimesteps() / numInferenceSteps / 2;
        int prevTimestep = timestep - diffToPrev;
        int t = prkTimesteps[counter / 4 * 4];
        NDArray eps = modelOutput;
        switch (counter % 4) {
            case 0 -> {
                setCurModelOutput(modelOutput.mul((float) (1.0 / 6)));
                ets.add(remember(modelOutput));
                forget(curSample);
                curSample = remember(sample);
            }
            case 1, 2 -> setCurModelOutput(scope.in(curModelOutput).add(modelOutput.mul((float) (1.0 / 3))));
            default -> {
                eps = scope.in(curModelOutput).add(modelOutput.mul((float) (1.0 / 6)));
                setCurModelOutput(null);
            }
        }
        NDArray x = curSample != null ? scope.in(curSample) : sample;
        return prevSample(x, t, prevTimestep, eps);
    }

    private void setCurModelOutput(NDArray value) {
        forget(curModelOutput);
        curModelOutput = value == null ? null : remember(value);
    }

    private NDArray stepPlms(Scope scope, NDArray modelOutput, int timestep, NDArray sample) {
        if (!opts.skipPrkSteps() && ets.size() < 3) {
            throw new SchedulerException("pndm: PLMS steps need the PRK warm-up first; call setTimesteps and step"
                    + " through all timesteps in order");
        }
        int stepRatio = steps.numTrainTimesteps() / numInferenceSteps;
        int t = timestep;
        int prevTimestep = t - stepRatio;
        if (counter != 1) {
            ets.add(remember(modelOutput));
            if (ets.size() > PNDM_ORDER) {
                forget(ets.remove(0)); // only the last four are ever used
            }
        } else { // second call: redo the first timestep with the averaged slope
            prevTimestep = t;
            t = t + stepRatio;
        }
        int n = ets.size();
        NDArray eps;
        NDArray x = sample;
        if (n == 1 && counter == 0) {
            eps = modelOutput;
            forget(curSample);
            curSample = remember(sample);
        } else if (n == 1 && counter == 1) {
            eps = modelOutput.add(e(scope, 1)).div(2f);
            x = scope.in(curSample);
            forget(curSample);
            curSample = null;
        } else if (n == 2) {
            eps = e(scope, 1).mul(3f).sub(e(scope, 2)).div(2f);
        } else if (n == 3) {
            eps = e(scope, 1).mul(23f).sub(e(scope, 2).mul(16f)).add(e(scope, 3).mul(5f)).div(12f);
        } else {
            eps = e(scope, 1).mul(55f).sub(e(scope, 2).mul(59f)).add(e(scope, 3).mul(37f)).sub(e(scope, 4).mul(9f))
                    .mul((float) (1.0 / 24));
        }
        return prevSample(x, t, prevTimestep, eps);
    }

    /** ets[-k], usable as a first operand in this step. */
    private NDArray e(Scope scope, int k) {
        return scope.in(ets.get(ets.size() - k));
    }

    /** Formula (9) of the PNDM paper: x_{t-delta} from x_t and the (combined) noise estimate. */
    private NDArray prevSample(NDArray sample, int t, int prevT, NDArray modelOutput) {
        float a = schedule.alphaCumprod(t);
        float aPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float b = 1f - a;
        float bPrev = 1f - aPrev;
        NDArray eps = modelOutput;
        if (steps.predictionType().equals("v_prediction")) {
            eps = modelOutput.mul(sqrt(a)).add(sample.mul(sqrt(b)));
        }
        float sampleCoeff = sqrt(aPrev / a);
        float denom = a * sqrt(bPrev) + sqrt(a * b * aPrev);
        return sample.mul(sampleCoeff).sub(eps.mul(aPrev - a).div(denom));
    }
}
