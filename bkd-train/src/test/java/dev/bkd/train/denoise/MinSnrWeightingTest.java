package dev.bkd.train.denoise;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

class MinSnrWeightingTest {
    /** SD's scaled_linear schedule in double precision, written out here: betas = linspace(sqrt(b0), sqrt(b1), T)^2. */
    private static double[] alphasCumprod() {
        int n = 1000;
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        double[] ac = new double[n];
        double prod = 1;
        for (int i = 0; i < n; i++) {
            double s = a + (b - a) * i / (n - 1);
            prod *= 1 - s * s;
            ac[i] = prod;
        }
        return ac;
    }

    @Test
    void weightsAreMinSnrGammaOverSnrOrSnrPlusOne() {
        SchedulerConfig eps = SchedulerConfig.defaults().with("beta_schedule", "scaled_linear").with("beta_start", 0.00085)
                .with("beta_end", 0.012);
        MinSnrWeighting e = new MinSnrWeighting(eps, 5.0);
        MinSnrWeighting v = new MinSnrWeighting(eps.with("prediction_type", "v_prediction"), 5.0);
        double[] ac = alphasCumprod();
        for (int t : new int[] {0, 10, 100, 250, 500, 999}) {
            double snr = ac[t] / (1 - ac[t]);
            assertEquals(Math.min(snr, 5) / snr, e.weight(t), 1e-4 * Math.max(1, Math.min(snr, 5) / snr), "t=" + t);
            assertEquals(Math.min(snr, 5) / (snr + 1), v.weight(t), 1e-4, "t=" + t);
        }
        // early (clean) timesteps have SNR far above gamma and are damped; late ones keep weight 1 (epsilon)
        assertTrue(e.weight(0) < 0.01);
        assertEquals(1.0, e.weight(999), 1e-6);
    }

    @Test
    void gammaMustBePositive() {
        ConfigException x = assertThrows(ConfigException.class,
                () -> new MinSnrWeighting(SchedulerConfig.defaults(), 0));
        assertTrue(x.getMessage().contains("--snr-gamma"), x.getMessage());
    }
}
