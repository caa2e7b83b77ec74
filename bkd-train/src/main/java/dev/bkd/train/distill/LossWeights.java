package dev.bkd.train.distill;

import dev.bkd.core.config.ConfigException;

/** The λs of L = task·MSE(ε̂_s, target) + out·MSE(ε̂_s, ε̂_t) + feat·Σ MSE(f_s, f_t). */
public record LossWeights(double task, double out, double feat) {
    public LossWeights {
        check("task", task);
        check("out", out);
        check("feat", feat);
        if (task == 0 && out == 0 && feat == 0) {
            throw new ConfigException("all three lambdas (--lambda-task, --lambda-out, --lambda-feat) are 0: the loss"
                    + " would always be 0 and the student would not learn; give at least one a weight > 0");
        }
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new ConfigException("lambda " + name + " must be a finite number >= 0, got " + v);
        }
    }

    /** "task 1, out 0.5, feat 0.5". */
    @Override
    public String toString() {
        return "task " + fmt(task) + ", out " + fmt(out) + ", feat " + fmt(feat);
    }

    private static String fmt(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** The same weights with any non-null override replacing its term. */
    public LossWeights with(Double task, Double out, Double feat) {
        return new LossWeights(task == null ? this.task : task, out == null ? this.out : out,
                feat == null ? this.feat : feat);
    }
}
