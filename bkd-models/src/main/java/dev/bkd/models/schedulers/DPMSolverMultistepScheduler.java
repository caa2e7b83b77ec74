package dev.bkd.models.schedulers;

import static dev.bkd.models.schedulers.Predictions.sqrt;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.SchedulerConfig;

/**
 * diffusers' DPMSolverMultistepScheduler: DPM-Solver (Lu et al. 2022, arXiv:2206.00927) and DPM-Solver++
 * (arXiv:2211.01095), multistep, order 1-3, midpoint or Heun second-order form, ODE or SDE variants.
 * The default (dpmsolver++, order 2, midpoint) is "DPM++ 2M"; with use_karras_sigmas, "DPM++ 2M Karras".
 * Works in the variance-preserving convention: no input scaling, unit initial noise.
 */
public final class DPMSolverMultistepScheduler extends SigmaScheduler {
    public static final String CLASS_NAME = "DPMSolverMultistepScheduler";

    private final DpmSolverOptions opts;
    private final String algorithm;
    private final boolean dataPrediction; // ++ variants solve for x0, the others for eps
    private final boolean sde;
    private final boolean heun;
    private final int solverOrder;
    private NDArray[] modelOutputs;
    private int lowerOrderNums;

    public DPMSolverMultistepScheduler(SchedulerConfig cfg) {
        this(cfg, DpmSolverOptions.of(cfg));
    }

    private DPMSolverMultistepScheduler(SchedulerConfig cfg, DpmSolverOptions opts) {
        super("dpm++2m", CLASS_NAME, cfg, opts.sigma());
        this.opts = opts;
        this.algorithm = opts.algorithmType();
        this.dataPrediction = algorithm.endsWith("++");
        this.sde = algorithm.startsWith("sde-");
        this.heun = opts.heun();
        this.solverOrder = opts.solverOrder();
        if (!dataPrediction && !sigmaOptions.finalSigmaMin()) {
            throw unsupported("final_sigmas_type", "zero", "\"sigma_min\" with algorithm_type \"" + algorithm + "\"");
        }
        if (sde && solverOrder == 3) {
            throw unsupported("solver_order", 3, "1, 2 with algorithm_type \"" + algorithm + "\"");
        }
        if (sigmaOptions.exponential()) {
            throw unsupported("use_exponential_sigmas", true, "false");
        }
        if (sigmaOptions.logLinear()) {
            throw unsupported("interpolation_type", "log_linear", "\"linear\"");
        }
    }

    @Override
    protected float[] computeSigmas(int n) {
        int numTrain = steps.numTrainTimesteps();
        float[] table = schedule.sigmas();
        int last = numTrain - clippedCount();
        double[] t;
        switch (steps.timestepSpacing()) {
            case "linspace" -> {
                double[] l = ScheduleMath.linspace(0, last - 1, n + 1);
                t = new double[n];
                for (int i = 0; i < n; i++) {
                    t[i] = ScheduleMath.round(l[n - i]);
                }
            }
            case "leading" -> {
                int ratio = last / (n + 1);
                t = new double[n];
                for (int i = 0; i < n; i++) {
                    t[i] = (double) (n - i) * ratio + steps.stepsOffset();
                }
            }
            case "trailing" -> {
                t = ScheduleMath.arange(last, 0, -((double) numTrain / n));
                for (int i = 0; i < t.length; i++) {
                    t[i] = ScheduleMath.round(t[i]) - 1;
                }
            }
            default -> throw new IllegalStateException("timestep_spacing " + steps.timestepSpacing());
        }
        double[] s;
        if (sigmaOptions.karras()) {
            float[] logTable = ScheduleMath.logs(table);
            double min = sigmaOptions.sigmaMin() != null ? sigmaOptions.sigmaMin() : table[0];
            double max = sigmaOptions.sigmaMax() != null ? sigmaOptions.sigmaMax() : table[table.length - 1];
            s = ScheduleMath.karras(min, max, n, 7.0);
            t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = ScheduleMath.round(ScheduleMath.sigmaToT(s[i], logTable));
            }
        } else {
            s = ScheduleMath.interp(t, table);
        }
        float lastSigma = sigmaOptions.finalSigmaMin() ? table[0] : 0f;
        sigmas = withFinal(s, lastSigma);
        modelOutputs = new NDArray[solverOrder];
        lowerOrderNums = 0;
        return ScheduleMath.toFloats(t);
    }

    /** How many of the ascending log-SNRs lie below lambda_min_clipped (torch.searchsorted, left). */
    private int clippedCount() {
        double min = opts.lambdaMinClipped();
        int count = 0;
        for (int t = 0; t < steps.numTrainTimesteps(); t++) {
            float a = schedule.alphaCumprod(t);
            float lambda = (float) Math.log(sqrt(a)) - (float) Math.log(sqrt(1f - a));
            if (lambda < min) {
                count++;
            }
        }
        return count;
    }

    @Override
    public float initNoiseSigma() {
        return 1f;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, float timestep) {
        return sample;
    }

    /**
     * diffusers' DPMSolverMultistepScheduler.add_noise: alpha_t x0 + sigma_t noise for the schedule's sigma (picked
     * like Euler's, so image-to-image's begin index applies), which with Karras or exponential sigmas differs from
     * the training forward process at the rounded timestep.
     */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        float[] s = noiseSigmas(original, noise, timesteps);
        float[] alpha = new float[s.length];
        float[] sigma = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            Level l = Level.of(s[i]);
            alpha[i] = l.alpha();
            sigma[i] = l.sigma();
        }
        NDArray a = perBatch(original, alpha);
        NDArray b = perBatch(original, sigma);
        NDArray x = original.mul(a);
        NDArray n = noise.mul(b);
        NDArray out = x.add(n);
        for (NDArray tmp : new NDArray[] {a, b, x, n}) {
            tmp.close();
        }
        return out;
    }

    /** A missing timestep means the last step, as in diffusers. */
    @Override
    protected int indexForTimestep(float t) {
        try {
            return super.indexForTimestep(t);
        } catch (SchedulerException notInSchedule) {
            return timesteps.length - 1;
        }
    }

    /** alpha_t, sigma_t (VP) and the log-SNR lambda_t for sigmas[i], in float32 like diffusers. */
    private record Level(float alpha, float sigma, float lambda) {
        static Level of(float sigmaK) {
            float alpha = 1f / sqrt(sigmaK * sigmaK + 1f);
            float sigma = sigmaK * alpha;
            return new Level(alpha, sigma, (float) Math.log(alpha) - (float) Math.log(sigma));
        }
    }

    @Override
    protected StepOutput doStep(Scope scope, NDArray modelOutput, float timestep, NDArray sample, NoiseDraw noise) {
        int i = currentIndex(timestep);
        int n = timesteps.length;
        boolean lowerOrderFinal = i == n - 1 && (opts.eulerAtFinal() || (opts.lowerOrderFinal() && n < 15)
                || !sigmaOptions.finalSigmaMin());
        boolean lowerOrderSecond = i == n - 2 && opts.lowerOrderFinal() && n < 15;

        NDArray converted = convert(modelOutput, sample, Level.of(sigmas[i]));
        forget(modelOutputs[0]);
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, solverOrder - 1);
        modelOutputs[solverOrder - 1] = remember(converted);

        NDArray z = sde ? noise.draw() : null;
        NDArray prev;
        if (solverOrder == 1 || lowerOrderNums < 1 || lowerOrderFinal) {
            prev = firstOrder(converted, sample, i, z);
        } else if (solverOrder == 2 || lowerOrderNums < 2 || lowerOrderSecond) {
            prev = secondOrder(scope, sample, i, z);
        } else {
            prev = thirdOrder(scope, sample, i);
        }
        if (lowerOrderNums < solverOrder) {
            lowerOrderNums++;
        }
        advance();
        return new StepOutput(prev, dataPrediction ? converted : null);
    }

    /** The model output as the solver's variable: x0 for the ++ variants, eps otherwise. */
    private NDArray convert(NDArray modelOutput, NDArray sample, Level s) {
        String type = steps.predictionType();
        if (dataPrediction) {
            return switch (type) {
                case "epsilon" -> sample.sub(modelOutput.mul(s.sigma())).div(s.alpha());
                case "sample" -> modelOutput;
                default -> sample.mul(s.alpha()).sub(modelOutput.mul(s.sigma()));
            };
        }
        return switch (type) {
            case "epsilon" -> modelOutput;
            case "sample" -> sample.sub(modelOutput.mul(s.alpha())).div(s.sigma());
            default -> modelOutput.mul(s.alpha()).add(sample.mul(s.sigma()));
        };
    }

    private NDArray firstOrder(NDArray m, NDArray sample, int i, NDArray z) {
        Level t = Level.of(sigmas[i + 1]);
        Level s = Level.of(sigmas[i]);
        float h = t.lambda() - s.lambda();
        if (algorithm.equals("dpmsolver++")) {
            return sample.mul(t.sigma() / s.sigma()).sub(m.mul(t.alpha() * (exp(-h) - 1f)));
        }
        if (algorithm.equals("dpmsolver")) {
            return sample.mul(t.alpha() / s.alpha()).sub(m.mul(t.sigma() * (exp(h) - 1f)));
        }
        if (algorithm.equals("sde-dpmsolver++")) {
            return sample.mul(t.sigma() / s.sigma() * exp(-h)).add(m.mul(t.alpha() * (1f - exp(-2f * h))))
                    .add(z.mul(t.sigma() * sqrt(1f - exp(-2f * h))));
        }
        return sample.mul(t.alpha() / s.alpha()).sub(m.mul(2f * (t.sigma() * (exp(h) - 1f))))
                .add(z.mul(t.sigma() * sqrt(exp(2f * h) - 1f)));
    }

    private NDArray secondOrder(Scope scope, NDArray sample, int i, NDArray z) {
        Level t = Level.of(sigmas[i + 1]);
        Level s0 = Level.of(sigmas[i]);
        Level s1 = Level.of(sigmas[i - 1]);
        NDArray m0 = scope.in(modelOutputs[solverOrder - 1]);
        NDArray m1 = scope.in(modelOutputs[solverOrder - 2]);
        float h = t.lambda() - s0.lambda();
        float h0 = s0.lambda() - s1.lambda();
        float r0 = h0 / h;
        NDArray d0 = m0;
        NDArray d1 = m0.sub(m1).mul(1f / r0);
        switch (algorithm) {
            case "dpmsolver++" -> {
                NDArray x = sample.mul(t.sigma() / s0.sigma()).sub(d0.mul(t.alpha() * (exp(-h) - 1f)));
                return heun
                        ? x.add(d1.mul(t.alpha() * ((exp(-h) - 1f) / h + 1f)))
                        : x.sub(d1.mul(0.5f * (t.alpha() * (exp(-h) - 1f))));
            }
            case "dpmsolver" -> {
                NDArray x = sample.mul(t.alpha() / s0.alpha()).sub(d0.mul(t.sigma() * (exp(h) - 1f)));
                return heun
                        ? x.sub(d1.mul(t.sigma() * ((exp(h) - 1f) / h - 1f)))
                        : x.sub(d1.mul(0.5f * (t.sigma() * (exp(h) - 1f))));
            }
            case "sde-dpmsolver++" -> {
                float e2 = 1f - exp(-2f * h);
                NDArray x = sample.mul(t.sigma() / s0.sigma() * exp(-h)).add(d0.mul(t.alpha() * e2));
                x = heun
                        ? x.add(d1.mul(t.alpha() * (e2 / (-2f * h) + 1f)))
                        : x.add(d1.mul(0.5f * (t.alpha() * e2)));
                return x.add(z.mul(t.sigma() * sqrt(e2)));
            }
            default -> { // sde-dpmsolver
                NDArray x = sample.mul(t.alpha() / s0.alpha()).sub(d0.mul(2f * (t.sigma() * (exp(h) - 1f))));
                x = heun
                        ? x.sub(d1.mul(2f * (t.sigma() * ((exp(h) - 1f) / h - 1f))))
                        : x.sub(d1.mul(t.sigma() * (exp(h) - 1f)));
                return x.add(z.mul(t.sigma() * sqrt(exp(2f * h) - 1f)));
            }
        }
    }

    private NDArray thirdOrder(Scope scope, NDArray sample, int i) {
        Level t = Level.of(sigmas[i + 1]);
        Level s0 = Level.of(sigmas[i]);
        Level s1 = Level.of(sigmas[i - 1]);
        Level s2 = Level.of(sigmas[i - 2]);
        NDArray m0 = scope.in(modelOutputs[2]);
        NDArray m1 = scope.in(modelOutputs[1]);
        NDArray m2 = scope.in(modelOutputs[0]);
        float h = t.lambda() - s0.lambda();
        float h0 = s0.lambda() - s1.lambda();
        float h1 = s1.lambda() - s2.lambda();
        float r0 = h0 / h;
        float r1 = h1 / h;
        NDArray d10 = m0.sub(m1).mul(1f / r0);
        NDArray d11 = m1.sub(m2).mul(1f / r1);
        NDArray d1 = d10.add(d10.sub(d11).mul(r0 / (r0 + r1)));
        NDArray d2 = d10.sub(d11).mul(1f / (r0 + r1));
        if (dataPrediction) {
            return sample.mul(t.sigma() / s0.sigma()).sub(m0.mul(t.alpha() * (exp(-h) - 1f)))
                    .add(d1.mul(t.alpha() * ((exp(-h) - 1f) / h + 1f)))
                    .sub(d2.mul(t.alpha() * ((exp(-h) - 1f + h) / (h * h) - 0.5f)));
        }
        return sample.mul(t.alpha() / s0.alpha()).sub(m0.mul(t.sigma() * (exp(h) - 1f)))
                .sub(d1.mul(t.sigma() * ((exp(h) - 1f) / h - 1f)))
                .sub(d2.mul(t.sigma() * ((exp(h) - 1f - h) / (h * h) - 0.5f)));
    }

    private static float exp(float x) {
        return (float) Math.exp(x);
    }
}
