package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schedulers with no recorded diffusers loop, checked against plain-Java double-precision implementations of the
 * published algorithms written here (k-diffusion's sample_euler_ancestral / sample_lms / sample_dpmpp_2m,
 * the PNDM paper's pseudo Runge-Kutta warm-up, DDIM eq. 12 with eta > 0). The independent side only shares the
 * reference alphas_cumprod, the fake UNet and the injected noise with the code under test.
 */
class IndependentAlgorithmsTest {
    private static final Shape SHAPE = new Shape(1, 4, 8, 8);
    private static double[] acp;
    private static double[] sigmaTable;
    private static double[] xInit;
    private static double[] p;

    @BeforeAll
    static void loadCommon() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> c = SchedRef.load("sched_common.safetensors", m);
            acp = toDouble(c.get("alphas_cumprod").toFloatArray());
            xInit = toDouble(c.get("x_init_unscaled").toFloatArray());
            p = toDouble(c.get("fake_model.P").toFloatArray());
        }
        sigmaTable = new double[acp.length];
        for (int t = 0; t < acp.length; t++) {
            sigmaTable[t] = Math.sqrt((1 - acp[t]) / acp[t]);
        }
    }

    // ---------------------------------------------------------------- Euler ancestral

    @Test
    void eulerAncestralMatchesKDiffusion() {
        int n = 20;
        double[] t = linspaceTimesteps(n);
        double[] sig = withZero(interpSigmas(t));
        List<double[]> noise = noises(n, 1234);
        // k-diffusion sample_euler_ancestral (eta = 1)
        List<double[]> expectPrev = new ArrayList<>();
        List<double[]> expectX0 = new ArrayList<>();
        double[] x = scale(xInit, sig[0]);
        for (int i = 0; i < n; i++) {
            double[] eps = fake(scale(x, 1 / Math.sqrt(sig[i] * sig[i] + 1)), t[i]);
            double[] denoised = axpy(-sig[i], eps, x);
            double up = Math.min(sig[i + 1],
                    Math.sqrt(sig[i + 1] * sig[i + 1] * (sig[i] * sig[i] - sig[i + 1] * sig[i + 1]) / (sig[i] * sig[i])));
            double down = Math.sqrt(sig[i + 1] * sig[i + 1] - up * up);
            double[] d = scale(axpy(-1, denoised, x), 1 / sig[i]);
            x = axpy(up, noise.get(i), axpy(down - sig[i], d, x));
            expectPrev.add(x);
            expectX0.add(denoised);
        }
        Scheduler s = Schedulers.create("euler-a", SchedRef.sdConfig());
        double[] worst = run(s, n, t, expectPrev, expectX0, noise, false);
        System.out.printf("euler-a vs k-diffusion (double): prev rel %.3g, x0 rel %.3g%n", worst[0], worst[1]);
        assertTrue(worst[0] <= SchedRef.TOL && worst[1] <= SchedRef.TOL);
    }

    // ---------------------------------------------------------------- LMS

    @Test
    void lmsMatchesKDiffusion() {
        for (int n : new int[] {20, 7}) {
            double[] t = linspaceTimesteps(n);
            double[] sig = withZero(interpSigmas(t));
            List<double[]> expectPrev = new ArrayList<>();
            List<double[]> expectX0 = new ArrayList<>();
            List<double[]> ds = new ArrayList<>();
            double[] x = scale(xInit, sig[0]);
            for (int i = 0; i < n; i++) {
                double[] eps = fake(scale(x, 1 / Math.sqrt(sig[i] * sig[i] + 1)), t[i]);
                double[] denoised = axpy(-sig[i], eps, x);
                ds.add(scale(axpy(-1, denoised, x), 1 / sig[i]));
                if (ds.size() > 4) {
                    ds.remove(0);
                }
                int order = Math.min(i + 1, 4);
                for (int j = 0; j < order; j++) {
                    x = axpy(lagrangeIntegral(sig, order, i, j), ds.get(ds.size() - 1 - j), x);
                }
                expectPrev.add(x);
                expectX0.add(denoised);
            }
            Scheduler s = Schedulers.create("lms", SchedRef.sdConfig());
            double[] worst = run(s, n, t, expectPrev, expectX0, null, false);
            System.out.printf("lms (%d steps) vs k-diffusion (double, exact integrals): prev rel %.3g, x0 rel %.3g%n",
                    n, worst[0], worst[1]);
            assertTrue(worst[0] <= SchedRef.TOL && worst[1] <= SchedRef.TOL);
        }
    }

    /**
     * The integral over [s[i], s[i+1]] of prod_{k != j, k < order} (x - s[i-k]) / (s[i-j] - s[i-k]), by expanding
     * the polynomial and integrating its monomials exactly.
     */
    private static double lagrangeIntegral(double[] s, int order, int i, int j) {
        double[] poly = {1}; // coefficients, lowest degree first
        for (int k = 0; k < order; k++) {
            if (k == j) {
                continue;
            }
            double denom = s[i - j] - s[i - k];
            double[] next = new double[poly.length + 1];
            for (int d = 0; d < poly.length; d++) {
                next[d + 1] += poly[d] / denom;
                next[d] -= poly[d] * s[i - k] / denom;
            }
            poly = next;
        }
        double sum = 0;
        for (int d = 0; d < poly.length; d++) {
            sum += poly[d] * (Math.pow(s[i + 1], d + 1) - Math.pow(s[i], d + 1)) / (d + 1);
        }
        return sum;
    }

    // ---------------------------------------------------------------- DPM-Solver++ 2M

    @Test
    void dpmSolverPlusPlus2MMatchesKDiffusion() {
        for (int n : new int[] {20, 8}) {
            double[] t = new double[n];
            double[] sig = new double[n + 1];
            for (int i = 0; i < n; i++) { // linspace over [0, 999] with n + 1 points, reversed, last dropped
                t[i] = Math.rint((n - i) * 999.0 / n);
                sig[i] = sigmaTable[(int) t[i]];
            }
            dpmCase("dpm++2m " + n + " steps", SchedRef.sdConfig(), n, t, sig);
        }
    }

    @Test
    void dpmSolverPlusPlus2MKarrasMatchesKDiffusion() {
        for (int n : new int[] {20, 8}) {
            double rho = 7;
            double min = sigmaTable[0];
            double max = sigmaTable[sigmaTable.length - 1];
            double[] t = new double[n];
            double[] sig = new double[n + 1];
            for (int i = 0; i < n; i++) { // Karras et al. 2022, eq. 5
                double r = (double) i / (n - 1);
                sig[i] = Math.pow(Math.pow(max, 1 / rho) + r * (Math.pow(min, 1 / rho) - Math.pow(max, 1 / rho)), rho);
                t[i] = Math.rint(timestepOfSigma(sig[i]));
            }
            dpmCase("dpm++2m karras " + n + " steps", SchedRef.sdConfig().with("use_karras_sigmas", true), n, t, sig);
        }
    }

    /** Fractional timestep with this sigma: linear interpolation of log sigma over the training table. */
    private static double timestepOfSigma(double sigma) {
        double ls = Math.log(sigma);
        for (int j = 0; j + 1 < sigmaTable.length; j++) {
            double a = Math.log(sigmaTable[j]);
            double b = Math.log(sigmaTable[j + 1]);
            if (ls >= a && ls <= b) {
                return j + (ls - a) / (b - a);
            }
        }
        return ls < Math.log(sigmaTable[0]) ? 0 : sigmaTable.length - 1;
    }

    private static void dpmCase(String what, SchedulerConfig cfg, int n, double[] t, double[] sig) {
        // k-diffusion sample_dpmpp_2m in sigma space; the scheduler works on x_vp = x / sqrt(1 + sigma^2)
        List<double[]> expectPrev = new ArrayList<>();
        List<double[]> expectX0 = new ArrayList<>();
        double[] x = scale(xInit, Math.sqrt(1 + sig[0] * sig[0]));
        double[] old = null;
        for (int i = 0; i < n; i++) {
            double[] eps = fake(scale(x, 1 / Math.sqrt(1 + sig[i] * sig[i])), t[i]);
            double[] denoised = axpy(-sig[i], eps, x);
            double tNow = -Math.log(sig[i]);
            double h = -Math.log(sig[i + 1]) - tNow;
            double[] dd = denoised;
            if (old != null && sig[i + 1] != 0) {
                double r = (tNow + Math.log(sig[i - 1])) / h;
                dd = axpy(-1 / (2 * r), old, scale(denoised, 1 + 1 / (2 * r)));
            }
            x = axpy(-Math.expm1(-h), dd, scale(x, sig[i + 1] / sig[i]));
            old = denoised;
            expectPrev.add(scale(x, 1 / Math.sqrt(1 + sig[i + 1] * sig[i + 1])));
            expectX0.add(denoised);
        }
        DPMSolverMultistepScheduler s = new DPMSolverMultistepScheduler(cfg);
        s.setTimesteps(n);
        double sigErr = SchedRef.rel(java.util.Arrays.copyOf(s.sigmas(), n), java.util.Arrays.copyOf(sig, n));
        double[] worst = run(s, n, t, expectPrev, expectX0, null, true);
        System.out.printf("%s vs k-diffusion (double): sigmas rel %.3g, prev rel %.3g, x0 rel %.3g%n",
                what, sigErr, worst[0], worst[1]);
        assertTrue(sigErr <= SchedRef.TOL && worst[0] <= SchedRef.TOL && worst[1] <= SchedRef.TOL, what);
    }

    // ---------------------------------------------------------------- PNDM with Runge-Kutta warm-up

    /** PNDM paper (arXiv:2202.09778) eq. 9 transfer, eq. 13 pseudo Runge-Kutta for 3 steps, then eq. 12 PLMS. */
    @Test
    void pndmRungeKuttaWarmUpMatchesThePaper() {
        int n = 20;
        int delta = 1000 / n;
        List<double[]> expect = new ArrayList<>();
        List<Double> modelTimes = new ArrayList<>();
        List<double[]> ets = new ArrayList<>();
        double[] x = xInit.clone();
        int t = (n - 1) * delta + 1; // leading spacing, steps_offset 1
        for (int block = 0; block < 3; block++, t -= delta) {
            double half = t - delta / 2;
            double[] e1 = fake(x, t);
            double[] x1 = transfer(x, e1, t, half);
            double[] e2 = fake(x1, half);
            double[] x2 = transfer(x, e2, t, half);
            double[] e3 = fake(x2, half);
            double[] x3 = transfer(x, e3, t, t - delta);
            double[] e4 = fake(x3, t - delta);
            double[] e = scale(axpy(1, e4, axpy(2, e3, axpy(2, e2, e1))), 1.0 / 6);
            ets.add(e1);
            x = transfer(x, e, t, t - delta);
            expect.add(x1);
            expect.add(x2);
            expect.add(x3);
            expect.add(x);
            modelTimes.addAll(List.of((double) t, half, half, (double) (t - delta)));
        }
        for (; t >= 0; t -= delta) {
            double[] e = fake(x, t);
            ets.add(e);
            int k = ets.size();
            double[] comb = axpy(-9, ets.get(k - 4), axpy(37, ets.get(k - 3), axpy(-59, ets.get(k - 2), scale(ets.get(k - 1), 55))));
            x = transfer(x, scale(comb, 1.0 / 24), t, t - delta);
            expect.add(x);
            modelTimes.add((double) t);
        }
        try (NDManager m = NDManager.newBaseManager();
                Scheduler s = Schedulers.create("pndm", SchedRef.sdConfig().with("skip_prk_steps", false))) {
            s.setTimesteps(n);
            float[] ts = s.timesteps();
            assertEquals(modelTimes.size(), ts.length);
            NDArray pArr = m.create(toFloat(p), SHAPE);
            NDArray y = m.create(toFloat(xInit), SHAPE);
            double worst = 0;
            for (int i = 0; i < ts.length; i++) {
                assertEquals(modelTimes.get(i), ts[i], 0.0, "model timestep " + i);
                y = s.step(SchedRef.fakeModel(y, ts[i], pArr), ts[i], y, null).prevSample();
                worst = Math.max(worst, SchedRef.rel(y.toFloatArray(), expect.get(i)));
            }
            System.out.printf("pndm (PRK warm-up, %d calls) vs paper (double): worst rel %.3g%n", ts.length, worst);
            assertTrue(worst <= SchedRef.TOL);
        }
    }

    /** PNDM eq. 9, with alpha_bar at a negative timestep = alpha_bar[0] (set_alpha_to_one = false). */
    private static double[] transfer(double[] x, double[] e, double t, double tPrev) {
        double a = acp[(int) t];
        double ap = tPrev >= 0 ? acp[(int) tPrev] : acp[0];
        double coef = (ap - a) / (a * Math.sqrt(1 - ap) + Math.sqrt(a * (1 - a) * ap));
        return axpy(-coef, e, scale(x, Math.sqrt(ap / a)));
    }

    // ---------------------------------------------------------------- DDIM with eta > 0, DDPM variances

    @Test
    void ddimWithEtaMatchesEquation12() {
        double eta = 0.7;
        int n = 20;
        int ratio = 1000 / n;
        List<double[]> noise = noises(n, 77);
        List<double[]> expectPrev = new ArrayList<>();
        List<double[]> expectX0 = new ArrayList<>();
        double[] t = new double[n];
        double[] x = xInit.clone();
        for (int i = 0; i < n; i++) {
            t[i] = (n - 1 - i) * ratio + 1;
            double a = acp[(int) t[i]];
            double ap = t[i] - ratio >= 0 ? acp[(int) t[i] - ratio] : acp[0];
            double[] eps = fake(x, t[i]);
            double[] x0 = scale(axpy(-Math.sqrt(1 - a), eps, x), 1 / Math.sqrt(a));
            double sigma = eta * Math.sqrt((1 - ap) / (1 - a)) * Math.sqrt(1 - a / ap);
            x = axpy(sigma, noise.get(i), axpy(Math.sqrt(1 - ap - sigma * sigma), eps, scale(x0, Math.sqrt(ap))));
            expectPrev.add(x);
            expectX0.add(x0);
        }
        Scheduler s = Schedulers.create("ddim", SchedRef.sdConfig().with("eta", eta));
        double[] worst = run(s, n, t, expectPrev, expectX0, noise, true);
        System.out.printf("ddim eta=%.1f vs eq. 12 (double): prev rel %.3g, x0 rel %.3g%n", eta, worst[0], worst[1]);
        assertTrue(worst[0] <= SchedRef.TOL && worst[1] <= SchedRef.TOL);
    }

    @Test
    void ddpmVarianceTypesMatchTheirDefinitions() {
        for (String type : new String[] {"fixed_small", "fixed_small_log", "fixed_large"}) {
            DDPMScheduler s = new DDPMScheduler(SchedRef.sdConfig().with("variance_type", type));
            s.setTimesteps(20);
            double worst = 0;
            for (float tf : s.timesteps()) {
                int t = (int) tf;
                double ap = t - 50 >= 0 ? acp[t - 50] : 1;
                double beta = 1 - acp[t] / ap;
                double posterior = Math.max((1 - ap) / (1 - acp[t]) * beta, 1e-20);
                double expected = switch (type) {
                    case "fixed_small" -> posterior;
                    case "fixed_small_log" -> Math.sqrt(posterior); // exp(0.5 log v): the std itself
                    default -> beta;
                };
                worst = Math.max(worst, Math.abs(s.variance(t) - expected) / expected);
            }
            System.out.printf("ddpm variance_type %s worst rel %.3g%n", type, worst);
            assertTrue(worst <= SchedRef.TOL, type);
        }
    }

    // ---------------------------------------------------------------- harness

    /**
     * Runs the scheduler from the reference's x_init (times initNoiseSigma) through the fake UNet, comparing each
     * step with the expected double results; returns worst rel of prev sample and of x0.
     */
    private static double[] run(Scheduler s, int n, double[] t, List<double[]> expectPrev, List<double[]> expectX0,
            List<double[]> noise, boolean integerTimesteps) {
        try (NDManager m = NDManager.newBaseManager()) {
            s.setTimesteps(n);
            float[] ts = s.timesteps();
            assertEquals(n, ts.length, s.name() + " steps");
            for (int i = 0; i < n; i++) {
                assertEquals(t[i], ts[i], integerTimesteps ? 0 : 1e-3, s.name() + " timestep " + i);
            }
            NDArray pArr = m.create(toFloat(p), SHAPE);
            NDArray x = m.create(toFloat(xInit), SHAPE).mul(s.initNoiseSigma());
            double worstPrev = 0;
            double worstX0 = 0;
            for (int i = 0; i < n; i++) {
                NDArray eps = SchedRef.fakeModel(s.scaleModelInput(x, ts[i]), ts[i], pArr);
                StepOutput out = noise == null
                        ? s.step(eps, ts[i], x, null)
                        : s.stepWithNoise(eps, ts[i], x, m.create(toFloat(noise.get(i)), SHAPE));
                x = out.prevSample();
                worstPrev = Math.max(worstPrev, SchedRef.rel(x.toFloatArray(), expectPrev.get(i)));
                worstX0 = Math.max(worstX0, SchedRef.rel(out.predOriginalSample().toFloatArray(), expectX0.get(i)));
            }
            return new double[] {worstPrev, worstX0};
        } finally {
            s.close();
        }
    }

    private static double[] linspaceTimesteps(int n) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = 999.0 * (n - 1 - i) / (n - 1);
        }
        return t;
    }

    private static double[] interpSigmas(double[] t) {
        double[] out = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            int j = (int) Math.floor(t[i]);
            double w = t[i] - j;
            out[i] = j + 1 < sigmaTable.length ? (1 - w) * sigmaTable[j] + w * sigmaTable[j + 1] : sigmaTable[j];
        }
        return out;
    }

    private static double[] withZero(double[] s) {
        return java.util.Arrays.copyOf(s, s.length + 1);
    }

    private static List<double[]> noises(int n, long seed) {
        Generator g = new Generator(seed);
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(toDouble(g.gaussians((int) SHAPE.size())));
        }
        return out;
    }

    private static double[] fake(double[] x, double t) {
        return axpy(t / 1000.0, p, scale(x, 0.5));
    }

    private static double[] scale(double[] x, double a) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = a * x[i];
        }
        return out;
    }

    /** a * x + y. */
    private static double[] axpy(double a, double[] x, double[] y) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = a * x[i] + y[i];
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    private static float[] toFloat(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
        return out;
    }
}
