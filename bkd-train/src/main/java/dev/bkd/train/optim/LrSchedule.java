package dev.bkd.train.optim;

import dev.bkd.core.config.ConfigException;
import java.util.Locale;
import java.util.function.LongToDoubleFunction;

/**
 * Learning-rate schedules of diffusers.optimization (get_scheduler): the rate for optimizer step {@code s}
 * (0-based, i.e. steps already taken) is {@code baseLr * multiplier(s)}, as LambdaLR computes it.
 */
public final class LrSchedule {
    /** The schedule names {@link #byName} accepts, spelled as in diffusers. */
    public static final String[] NAMES = {"constant", "constant_with_warmup", "cosine", "linear"};

    private final String name;
    private final double baseLr;
    private final LongToDoubleFunction multiplier;

    private LrSchedule(String name, double baseLr, LongToDoubleFunction multiplier) {
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) {
            throw new ConfigException("learning_rate must be a finite number >= 0, got " + baseLr);
        }
        this.name = name;
        this.baseLr = baseLr;
        this.multiplier = multiplier;
    }

    /** get_constant_schedule. */
    public static LrSchedule constant(double baseLr) {
        return new LrSchedule("constant", baseLr, s -> 1.0);
    }

    /** get_constant_schedule_with_warmup: linear 0 -> 1 over {@code warmup} steps, then 1. */
    public static LrSchedule constantWithWarmup(double baseLr, long warmup) {
        checkSteps(warmup, 0);
        return new LrSchedule("constant_with_warmup", baseLr, s -> s < warmup ? warmupFactor(s, warmup) : 1.0);
    }

    /** get_linear_schedule_with_warmup: warmup, then linear decay to 0 at {@code total}. */
    public static LrSchedule linear(double baseLr, long warmup, long total) {
        checkSteps(warmup, total);
        return new LrSchedule("linear", baseLr, s -> s < warmup ? warmupFactor(s, warmup)
                : Math.max(0.0, (double) (total - s) / Math.max(1, total - warmup)));
    }

    /** get_cosine_schedule_with_warmup with num_cycles 0.5 (half a cosine from 1 to 0). */
    public static LrSchedule cosine(double baseLr, long warmup, long total) {
        return cosine(baseLr, warmup, total, 0.5);
    }

    /** get_cosine_schedule_with_warmup with {@code numCycles} cosine periods after warmup. */
    public static LrSchedule cosine(double baseLr, long warmup, long total, double numCycles) {
        checkSteps(warmup, total);
        return new LrSchedule("cosine", baseLr, s -> {
            if (s < warmup) {
                return warmupFactor(s, warmup);
            }
            double progress = (double) (s - warmup) / Math.max(1, total - warmup);
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
        });
    }

    /** The schedule diffusers' {@code --lr_scheduler NAME} selects; unknown names list the supported ones. */
    public static LrSchedule byName(String name, double baseLr, long warmup, long total) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "constant" -> constant(baseLr);
            case "constant_with_warmup" -> constantWithWarmup(baseLr, warmup);
            case "cosine" -> cosine(baseLr, warmup, total);
            case "linear" -> linear(baseLr, warmup, total);
            default -> throw new ConfigException("lr_scheduler `" + name + "` is not supported; use one of "
                    + String.join(", ", NAMES));
        };
    }

    private static double warmupFactor(long s, long warmup) {
        return (double) s / Math.max(1, warmup);
    }

    private static void checkSteps(long warmup, long total) {
        if (warmup < 0 || total < 0) {
            throw new ConfigException("lr_warmup_steps and max_train_steps must be >= 0, got " + warmup
                    + " and " + total);
        }
    }

    /** The schedule's diffusers name. */
    public String name() {
        return name;
    }

    /** The peak learning rate. */
    public double baseLr() {
        return baseLr;
    }

    /** The LambdaLR factor for optimizer step {@code step}. */
    public double multiplier(long step) {
        return multiplier.applyAsDouble(step);
    }

    /** The learning rate for optimizer step {@code step}. */
    public double lr(long step) {
        return baseLr * multiplier(step);
    }
}
