package dev.bkd.models.schedulers;

/**
 * Schedule arithmetic shared by all schedulers, written to reproduce diffusers' numpy float64 code step by step
 * (np.linspace, np.arange, np.round half-to-even, np.interp, Karras and exponential sigmas, sigma to t), so
 * that the float32 values the schedulers end up with match diffusers'.
 */
final class ScheduleMath {
    private ScheduleMath() {}

    /** np.linspace(start, stop, num) in float64: i * step + start, last element exactly stop. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        if (num == 1) {
            y[0] = start;
            return y;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) {
            y[i] = i * step + start;
        }
        y[num - 1] = stop;
        return y;
    }

    /** np.arange(start, stop, step) for floats: length ceil((stop - start) / step), x_i = start + i * delta. */
    static double[] arange(double start, double stop, double step) {
        long len = (long) Math.ceil((stop - start) / step);
        double[] y = new double[(int) Math.max(0, len)];
        double delta = (start + step) - start;
        for (int i = 0; i < y.length; i++) {
            y[i] = i == 0 ? start : i == 1 ? start + step : start + i * delta;
        }
        return y;
    }

    /** np.round: half to even. */
    static double round(double x) {
        return Math.rint(x);
    }

    /** A float64 schedule as the float32 tensor diffusers hands out. */
    static float[] toFloats(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
        return out;
    }

    static double[] reversed(double[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[a.length - 1 - i];
        }
        return out;
    }

    /**
     * Inference timesteps (descending) for "linspace", "leading" or "trailing" spacing (Table 2 of
     * arXiv:2305.08891), as DDIM/DDPM/PNDM ({@code roundLinspace}: integer) and Euler/LMS (float32 linspace) build
     * them.
     */
    static double[] spacedTimesteps(String spacing, int numTrain, int n, int stepsOffset, boolean roundLinspace) {
        double[] t;
        switch (spacing) {
            case "linspace" -> {
                t = reversed(linspace(0, numTrain - 1, n));
                for (int i = 0; i < n; i++) {
                    t[i] = roundLinspace ? round(t[i]) : (float) t[i];
                }
            }
            case "leading" -> {
                int ratio = numTrain / n;
                t = new double[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (double) (n - 1 - i) * ratio + stepsOffset;
                }
            }
            case "trailing" -> {
                t = arange(numTrain, 0, -((double) numTrain / n));
                for (int i = 0; i < t.length; i++) {
                    t[i] = round(t[i]) - 1;
                }
            }
            default -> throw new IllegalStateException("timestep_spacing " + spacing); // rejected by the config
        }
        return t;
    }

    /** np.interp(x, arange(len(fp)), fp) in float64 over a float32 table. */
    static double[] interp(double[] x, float[] fp) {
        int last = fp.length - 1;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            if (Double.isNaN(v)) {
                out[i] = v;
            } else if (v <= 0) {
                out[i] = fp[0];
            } else if (v >= last) {
                out[i] = fp[last];
            } else {
                int j = (int) Math.floor(v);
                if (j == v) {
                    out[i] = fp[j];
                } else {
                    double slope = (double) fp[j + 1] - fp[j]; // xp steps by 1
                    out[i] = slope * (v - j) + fp[j];
                }
            }
        }
        return out;
    }

    /** Karras et al. (2022) eq. 5: n sigmas from sigmaMax down to sigmaMin, uniform in sigma^(1/rho). */
    static double[] karras(double sigmaMin, double sigmaMax, int n, double rho) {
        double[] ramp = linspace(0, 1, n);
        double minInv = Math.pow(sigmaMin, 1 / rho);
        double maxInv = Math.pow(sigmaMax, 1 / rho);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInv + ramp[i] * (minInv - maxInv), rho);
        }
        return out;
    }

    /** n sigmas from sigmaMax down to sigmaMin, uniform in log sigma. */
    static double[] exponential(double sigmaMin, double sigmaMax, int n) {
        double[] l = linspace(Math.log(sigmaMax), Math.log(sigmaMin), n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.exp(l[i]);
        }
        return out;
    }

    /** float32 natural log of a float32 table (np.log on a float32 array). */
    static float[] logs(float[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) Math.log(a[i]);
        }
        return out;
    }

    /**
     * The fractional training timestep whose sigma is {@code sigma}: linear interpolation in log sigma between
     * the two neighbouring entries of the ascending float32 {@code logSigmas} table (diffusers' _sigma_to_t).
     */
    static double sigmaToT(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i; // the last index whose log sigma is <= ours
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        int high = low + 1;
        float lo = logSigmas[low];
        float hi = logSigmas[high];
        double w = (lo - logSigma) / (double) (lo - hi); // numpy: (f32 - f64) / (f32 - f32 in float32)
        w = Math.min(1, Math.max(0, w));
        return (1 - w) * low + w * high;
    }
}
