package dev.bkd.models.schedulers;

/** SD's scaled-linear training schedule (betas = linspace(sqrt 0.00085, sqrt 0.012, 1000)^2) computed in double. */
public final class ScaledLinear {
    private ScaledLinear() {}

    /** alphas_cumprod[t], the product of (1 - beta_i) for i <= t. */
    public static double alphaCumprod(int t) {
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        double acp = 1;
        for (int i = 0; i <= t; i++) {
            double beta = a + (b - a) * i / 999.0;
            acp *= 1 - beta * beta;
        }
        return acp;
    }
}
