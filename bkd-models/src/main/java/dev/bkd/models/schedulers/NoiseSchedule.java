package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;

/**
 * The training noise schedule every scheduler shares: betas, alphas and their cumulative product, in float32
 * exactly as diffusers builds them (torch.linspace in float32, cumprod accumulated in double on CPU), plus the
 * forward process used for training ({@link #addNoise}, {@link #getVelocity}).
 */
public final class NoiseSchedule {
    private final int numTrainTimesteps;
    private final float[] betas;
    private final float[] alphasCumprod;

    public NoiseSchedule(SchedulerConfig cfg) {
        this.numTrainTimesteps = cfg.numTrainTimesteps();
        this.betas = betas(cfg);
        this.alphasCumprod = new float[numTrainTimesteps];
        double acc = 1.0; // torch's CPU cumprod accumulates float32 in double
        for (int i = 0; i < numTrainTimesteps; i++) {
            acc *= 1f - betas[i];
            alphasCumprod[i] = (float) acc;
        }
    }

    private static float[] betas(SchedulerConfig cfg) {
        int n = cfg.numTrainTimesteps();
        double[] trained = cfg.trainedBetas();
        float[] out = new float[n];
        if (trained != null) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) trained[i];
            }
            return out;
        }
        switch (cfg.betaSchedule()) {
            case "linear" -> {
                return torchLinspace((float) cfg.betaStart(), (float) cfg.betaEnd(), n);
            }
            case "scaled_linear" -> {
                float[] r = torchLinspace((float) Math.sqrt(cfg.betaStart()), (float) Math.sqrt(cfg.betaEnd()), n);
                for (int i = 0; i < n; i++) {
                    out[i] = r[i] * r[i];
                }
                return out;
            }
            case "squaredcos_cap_v2" -> {
                for (int i = 0; i < n; i++) { // GLIDE cosine schedule, in double, capped at 0.999
                    double t1 = (double) i / n;
                    double t2 = (double) (i + 1) / n;
                    out[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
                }
                return out;
            }
            default -> throw new IllegalStateException("beta_schedule " + cfg.betaSchedule()); // rejected by the config
        }
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** torch.linspace(start, end, n, dtype=float32) on CPU: float step, first half from start, second from end. */
    static float[] torchLinspace(float start, float end, int n) {
        float[] out = new float[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        float step = (end - start) / (n - 1);
        int half = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < half ? start + step * i : end - step * (n - i - 1);
        }
        return out;
    }

    public int numTrainTimesteps() {
        return numTrainTimesteps;
    }

    public float[] betas() {
        return betas.clone();
    }

    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** alphas_cumprod[t] for a training timestep. */
    public float alphaCumprod(int t) {
        checkTimestep(t);
        return alphasCumprod[t];
    }

    /** The Karras/k-diffusion noise level of training timestep t: sqrt((1 - acp) / acp) in float32. */
    public float sigma(int t) {
        float a = alphaCumprod(t);
        return (float) Math.sqrt((1f - a) / a);
    }

    /** sigma(t) for every training timestep, ascending in t (float32). */
    public float[] sigmas() {
        float[] out = new float[numTrainTimesteps];
        for (int t = 0; t < numTrainTimesteps; t++) {
            out[t] = sigma(t);
        }
        return out;
    }

    void checkTimestep(long t) {
        if (t < 0 || t >= numTrainTimesteps) {
            throw new SchedulerException("timestep " + t + " is outside the training schedule [0, "
                    + numTrainTimesteps + ")");
        }
    }

    /**
     * The forward (noising) process q(x_t | x_0) = sqrt(acp[t]) x0 + sqrt(1 - acp[t]) noise, per batch element:
     * {@code timesteps} is an integer array of shape (B) of training timesteps. Graph-preserving (plain DJL ops).
     */
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        checkShapes("addNoise", original, noise, timesteps);
        NDArray[] c = coefficients(timesteps, original);
        try (NDArray x = original.mul(c[0]); NDArray n = noise.mul(c[1])) {
            return x.add(n);
        } finally {
            c[0].close();
            c[1].close();
        }
    }

    /** The v-prediction target v = sqrt(acp[t]) noise - sqrt(1 - acp[t]) x0 (Imagen Video, section 2.4). */
    public NDArray getVelocity(NDArray sample, NDArray noise, NDArray timesteps) {
        checkShapes("getVelocity", sample, noise, timesteps);
        NDArray[] c = coefficients(timesteps, sample);
        try (NDArray n = noise.mul(c[0]); NDArray x = sample.mul(c[1])) {
            return n.sub(x);
        } finally {
            c[0].close();
            c[1].close();
        }
    }

    private static void checkShapes(String op, NDArray x, NDArray noise, NDArray timesteps) {
        if (!x.getShape().equals(noise.getShape())) {
            throw new SchedulerException(op + ": sample shape " + x.getShape() + " != noise shape " + noise.getShape());
        }
        Shape ts = timesteps.getShape();
        if (ts.dimension() > 1 || (x.getShape().dimension() == 0 ? ts.size() != 1 : ts.size() != x.getShape().get(0))) {
            throw new SchedulerException(op + ": timesteps must have one entry per batch element (batch "
                    + (x.getShape().dimension() == 0 ? 1 : x.getShape().get(0)) + "), found shape " + ts);
        }
    }

    private static long[] longs(NDArray timesteps) {
        DataType d = timesteps.getDataType();
        if (d == DataType.INT64) {
            return timesteps.toLongArray();
        }
        if (d == DataType.INT32) {
            return java.util.Arrays.stream(timesteps.toIntArray()).asLongStream().toArray();
        }
        throw new SchedulerException("timesteps must be int64 or int32 training timesteps, found " + d);
    }

    /** sqrt(acp[t]) and sqrt(1 - acp[t]) as float32 arrays of shape (B, 1, 1, ...) matching {@code like}. */
    private NDArray[] coefficients(NDArray timesteps, NDArray like) {
        long[] t = longs(timesteps);
        float[] a = new float[t.length];
        float[] b = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            checkTimestep(t[i]);
            float acp = alphasCumprod[(int) t[i]];
            a[i] = (float) Math.sqrt(acp);
            b[i] = (float) Math.sqrt(1f - acp);
        }
        long[] dims = new long[Math.max(1, like.getShape().dimension())];
        java.util.Arrays.fill(dims, 1);
        dims[0] = t.length;
        Shape s = new Shape(dims);
        return new NDArray[] {onDeviceOf(like, a, s), onDeviceOf(like, b, s)};
    }

    /** A float32 array in {@code like}'s manager and on its device. */
    static NDArray onDeviceOf(NDArray like, float[] data, Shape shape) {
        NDArray a = like.getManager().create(data, shape);
        if (a.getDevice().equals(like.getDevice())) {
            return a;
        }
        try (a) {
            return a.toDevice(like.getDevice(), true);
        }
    }
}
