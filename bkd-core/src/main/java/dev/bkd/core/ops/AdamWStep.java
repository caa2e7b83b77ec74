package dev.bkd.core.ops;

/**
 * The scalars of one torch.optim.AdamW parameter update ({@link Ops#adamw}): {@code stepSize} is
 * {@code lr / (1 - beta1^step)} and {@code biasCorrection2Sqrt} is {@code sqrt(1 - beta2^step)}, computed by the
 * caller in double precision as torch does in Python.
 */
public record AdamWStep(double lr, double weightDecay, double beta1, double beta2, double eps, double stepSize,
                        double biasCorrection2Sqrt) {}
