package dev.bkd.models.schedulers;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' LMSDiscreteScheduler (k-diffusion's sample_lms): a linear multistep method of order 4 on the
 * sigma-space ODE. The coefficient of each past derivative is the integral of its Lagrange basis polynomial
 * over [sigma_i, sigma_{i+1}]; diffusers integrates it with scipy's adaptive quadrature, here with a 4-point
 * Gauss-Legendre rule, exact for these polynomials of degree <= 3.
 */
public final class LMSDiscreteScheduler extends SigmaScheduler {
    public static final String CLASS_NAME = "LMSDiscreteScheduler";
    public static final int ORDER = 4;

    private final List<NDArray> derivatives = new ArrayList<>();

    public LMSDiscreteScheduler(SchedulerConfig cfg) {
        super("lms", CLASS_NAME, cfg, SigmaOptions.of(cfg));
        EulerAncestralDiscreteScheduler.rejectSigmaOptions(this);
    }

    @Override
    protected float[] computeSigmas(int n) {
        derivatives.clear();
        // diffusers' LMS has no sigma_min/sigma_max fields: its Karras range is the interpolated schedule's
        return eulerFamilySigmas(n, steps.timestepSpacing(), sigmaOptions.karras(), sigmaOptions.exponential(),
                false, false, 0f);
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int i = currentIndex(timestep);
        float sigma = sigmas[i];
        NDArray x0 = KDiffusion.denoised(steps.predictionType(), modelOutput, sample, sigma);
        NDArray derivative = sample.sub(x0).div(sigma);
        derivatives.add(remember(derivative));
        if (derivatives.size() > ORDER) {
            forget(derivatives.remove(0));
        }
        int order = Math.min(i + 1, ORDER);
        NDArray sum = null;
        // like diffusers' zip(): when started mid-schedule there may be fewer derivatives than the order
        int terms = Math.min(order, derivatives.size());
        for (int k = 0; k < terms; k++) { // newest derivative first
            float coeff = (float) lmsCoefficient(sigmas, order, i, k);
            NDArray d = scope.in(derivatives.get(derivatives.size() - 1 - k));
            NDArray term = d.mul(coeff);
            sum = sum == null ? term : sum.add(term);
        }
        NDArray prev = sample.add(sum);
        advance();
        return new StepOutput(prev, x0);
    }

    private static final double[] GL_NODES = {
        -0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526
    };
    private static final double[] GL_WEIGHTS = {
        0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538
    };

    /**
     * The integral over [sigmas[t], sigmas[t+1]] of the Lagrange basis polynomial that is 1 at
     * sigmas[t - current] and 0 at the other sigmas[t - k], k < order.
     */
    static double lmsCoefficient(float[] sigmas, int order, int t, int current) {
        double a = sigmas[t];
        double b = sigmas[t + 1];
        double half = (b - a) / 2;
        double mid = (a + b) / 2;
        double sum = 0;
        for (int q = 0; q < GL_NODES.length; q++) {
            double tau = mid + half * GL_NODES[q];
            double prod = 1;
            for (int k = 0; k < order; k++) {
                if (k != current) {
                    prod *= (tau - sigmas[t - k]) / ((double) sigmas[t - current] - sigmas[t - k]);
                }
            }
            sum += GL_WEIGHTS[q] * prod;
        }
        return sum * half;
    }
}
