package dev.bkd.train.denoise;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.models.schedulers.NoiseSchedule;

/**
 * Min-SNR-gamma loss weighting (Hang et al. 2023) as diffusers' train_text_to_image applies it: per sample
 * min(SNR(t), gamma) / SNR(t) for epsilon targets, / (SNR(t) + 1) for v_prediction, where
 * SNR(t) = alphas_cumprod[t] / (1 - alphas_cumprod[t]).
 */
public final class MinSnrWeighting {
    private final float[] weights;

    public MinSnrWeighting(SchedulerConfig config, double gamma) {
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new ConfigException("--snr-gamma must be a positive number (5 is the paper's choice), got " + gamma);
        }
        boolean velocity = "v_prediction".equals(config.predictionType());
        float[] ac = new NoiseSchedule(config).alphasCumprod();
        weights = new float[ac.length];
        for (int t = 0; t < ac.length; t++) {
            double snr = ac[t] / (1.0 - ac[t]);
            weights[t] = (float) (Math.min(snr, gamma) / (velocity ? snr + 1 : snr));
        }
    }

    /** The weight of timestep {@code t}. */
    public float weight(int t) {
        return weights[t];
    }

    /** Per-sample weights (B) for integer timesteps (B), in the timesteps' manager. */
    public NDArray weights(NDArray timesteps) {
        long[] t = timesteps.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        float[] w = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            w[i] = weights[(int) t[i]];
        }
        return timesteps.getManager().create(w);
    }
}
