package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;

/**
 * Schedulers that step on a sigma (noise level) grid with a step counter, like k-diffusion: the sample lives in
 * "sigma space" x = x0 + sigma * eps, the model input is x / sqrt(sigma^2 + 1), and the initial noise is scaled by
 * the largest sigma (Euler, Euler ancestral, LMS; DPM-Solver overrides the scaling to the VP convention).
 */
abstract class SigmaScheduler extends AbstractScheduler {
    /** sigmas[i] for timesteps[i], plus a final entry (0 or sigma_min), float32. */
    protected float[] sigmas;
    /** The sigma-grid options this scheduler was built with. */
    protected final SigmaOptions sigmaOptions;
    private Integer stepIndex;
    private Integer beginIndex;

    SigmaScheduler(String name, String className, SchedulerConfig cfg, SigmaOptions sigmaOptions) {
        super(name, className, cfg, sigmaOptions.steps());
        this.sigmaOptions = sigmaOptions;
    }

    @Override
    protected final float[] computeTimesteps(int n) {
        stepIndex = null;
        beginIndex = null;
        return computeSigmas(n);
    }

    /** Sets {@link #sigmas}, resets the scheduler's own state and returns the timesteps. */
    protected abstract float[] computeSigmas(int n);

    /**
     * The Euler-family grid: spaced float timesteps, sigmas interpolated linearly in t (or log-linearly), optionally
     * re-spaced Karras / exponentially with timesteps mapped back through log sigma, then the final sigma.
     */
    protected final float[] eulerFamilySigmas(int n, String timestepSpacing, boolean karras, boolean exponential,
            boolean logLinear, boolean configBounds, float finalSigma) {
        double[] t = ScheduleMath.spacedTimesteps(timestepSpacing, steps.numTrainTimesteps(), n, steps.stepsOffset(), false);
        float[] table = schedule.sigmas();
        float[] logTable = ScheduleMath.logs(table);
        double[] s;
        if (logLinear) { // torch.linspace(log(sigma_max), log(sigma_min), n + 1).exp() in float32
            float[] l = NoiseSchedule.torchLinspace(logTable[logTable.length - 1], logTable[0], n + 1);
            s = new double[l.length];
            for (int i = 0; i < l.length; i++) {
                s[i] = (float) Math.exp(l[i]);
            }
        } else {
            s = ScheduleMath.interp(t, table);
        }
        if (karras || exponential) {
            double min = configBounds && sigmaOptions.sigmaMin() != null ? sigmaOptions.sigmaMin() : s[s.length - 1];
            double max = configBounds && sigmaOptions.sigmaMax() != null ? sigmaOptions.sigmaMax() : s[0];
            s = karras ? ScheduleMath.karras(min, max, n, 7.0) : ScheduleMath.exponential(min, max, n);
            t = new double[s.length];
            for (int i = 0; i < s.length; i++) {
                t[i] = ScheduleMath.sigmaToT(s[i], logTable);
            }
        }
        sigmas = withFinal(s, finalSigma);
        return ScheduleMath.toFloats(t);
    }

    static float[] withFinal(double[] s, float last) {
        float[] out = new float[s.length + 1];
        for (int i = 0; i < s.length; i++) {
            out[i] = (float) s[i];
        }
        out[s.length] = last;
        return out;
    }

    public final float[] sigmas() {
        requireTimesteps();
        return sigmas.clone();
    }

    /** The max sigma for linspace/trailing spacing, sqrt(max^2 + 1) for leading (whose top sigma is lower). */
    @Override
    public float initNoiseSigma() {
        requireTimesteps();
        float max = 0;
        for (float s : sigmas) {
            max = Math.max(max, s);
        }
        return steps.timestepSpacing().equals("leading") ? (float) Math.sqrt(max * max + 1f) : max;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, float timestep) {
        requireTimesteps();
        float sigma = sigmas[currentIndex(timestep)];
        return sample.div((float) Math.sqrt(sigma * sigma + 1f));
    }

    @Override
    public final boolean setBeginIndex(int index) {
        requireTimesteps();
        if (index < 0 || index >= timesteps.length) {
            throw new SchedulerException(name() + ": begin index " + index + " is outside the " + timesteps.length
                    + " timesteps of this schedule");
        }
        beginIndex = index;
        return true;
    }

    /**
     * The index of the step being taken, fixed at the first step after setTimesteps: the begin index if one was
     * set, else where the first timestep sits (diffusers' _init_step_index).
     */
    protected final int currentIndex(float timestep) {
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        if (stepIndex >= timesteps.length) {
            throw new SchedulerException(name() + ": all " + timesteps.length
                    + " steps are done; call setTimesteps to sample again");
        }
        return stepIndex;
    }

    protected final void advance() {
        stepIndex++;
    }

    /** Where {@code t} sits in the schedule; of duplicates, the second (diffusers' rule for starting mid-way). */
    protected int indexForTimestep(float t) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        if (first < 0) {
            throw new SchedulerException(name() + ": timestep " + t + " is not one of this schedule's timesteps");
        }
        return first;
    }

    private static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    /** img2img noising in sigma space: x0 + sigma(t) * noise, for timesteps of the current schedule (shape (B)). */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        float[] s = noiseSigmas(original, noise, timesteps);
        NDArray sigma = perBatch(original, s);
        NDArray scaled = noise.mul(sigma);
        NDArray out = original.add(scaled);
        scaled.close();
        sigma.close();
        return out;
    }

    /**
     * The sigma add_noise uses for each batch item, as diffusers picks it: every timestep looked up in the schedule
     * unless a begin index is set; then the current step (a blend inside the loop) or, before the first step, the
     * begin index (img2img's noising at timesteps[0]).
     */
    protected final float[] noiseSigmas(NDArray original, NDArray noise, NDArray timesteps) {
        requireTimesteps();
        if (!original.getShape().equals(noise.getShape())) {
            throw new SchedulerException("addNoise: sample shape " + original.getShape() + " != noise shape "
                    + noise.getShape());
        }
        float[] t = floats(timesteps);
        if (original.getShape().dimension() == 0 || t.length != original.getShape().get(0)) {
            throw new SchedulerException("addNoise: timesteps must have one entry per batch element, found "
                    + timesteps.getShape());
        }
        float[] s = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            int index = beginIndex == null ? indexForTimestep(t[i]) : stepIndex != null ? stepIndex : beginIndex;
            s[i] = sigmas[index];
        }
        return s;
    }

    /** {@code values} as a float32 (B, 1, 1, ...) array in {@code like}'s manager and on its device. */
    protected static NDArray perBatch(NDArray like, float[] values) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = values.length;
        return NoiseSchedule.onDeviceOf(like, values, new Shape(dims));
    }
}
