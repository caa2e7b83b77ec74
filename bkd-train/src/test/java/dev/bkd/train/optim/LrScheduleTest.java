package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Values at chosen steps against diffusers.optimization's lambdas written out by hand. */
class LrScheduleTest {
    static final double LR = 1e-4;

    @Test
    void constant() {
        LrSchedule s = LrSchedule.byName("constant", LR, 50, 1000);
        for (long step : new long[] {0, 1, 49, 50, 999, 5000}) {
            assertEquals(LR, s.lr(step), 0);
        }
    }

    @Test
    void constantWithWarmupRampsThenHolds() {
        LrSchedule s = LrSchedule.byName("constant_with_warmup", LR, 10, 1000);
        assertEquals(0.0, s.lr(0), 0);
        assertEquals(LR * 3 / 10, s.lr(3), 1e-20);
        assertEquals(LR * 9 / 10, s.lr(9), 1e-20);
        assertEquals(LR, s.lr(10), 0);
        assertEquals(LR, s.lr(100000), 0);
        // warmup 0: max(1, 0) guards the division, the rate is full from step 0
        assertEquals(LR, LrSchedule.constantWithWarmup(LR, 0).lr(0), 0);
    }

    @Test
    void linearDecaysToZeroAtTheEnd() {
        LrSchedule s = LrSchedule.byName("linear", LR, 100, 1100);
        assertEquals(LR * 0.5, s.lr(50), 1e-20);
        assertEquals(LR, s.lr(100), 1e-20);
        assertEquals(LR * (1100 - 600) / 1000.0, s.lr(600), 1e-20);
        assertEquals(LR * 1 / 1000.0, s.lr(1099), 1e-20);
        assertEquals(0.0, s.lr(1100), 0);
        assertEquals(0.0, s.lr(2000), 0, "clamped at 0 past the end");
    }

    @Test
    void cosineIsHalfAPeriodAfterWarmup() {
        LrSchedule s = LrSchedule.byName("cosine", LR, 100, 1100);
        assertEquals(LR * 0.25, s.lr(25), 1e-20);
        assertEquals(LR, s.lr(100), 1e-20);
        assertEquals(LR * 0.5, s.lr(600), 1e-15); // halfway: cos(pi/2) = 0
        double p = (850 - 100) / 1000.0;
        assertEquals(LR * 0.5 * (1 + Math.cos(Math.PI * p)), s.lr(850), 1e-20);
        assertEquals(0.0, s.lr(1100), 1e-20);
        // past the end the half-period keeps going back up (diffusers does not clamp progress)
        assertEquals(LR * 0.5 * (1 + Math.cos(Math.PI * 1.5)), s.lr(1600), 1e-15);
        LrSchedule two = LrSchedule.cosine(LR, 0, 1000, 2.0);
        assertEquals(LR, two.lr(500), 1e-15); // two full periods: back at the top halfway
    }

    @Test
    void unknownNamesListTheSupportedOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> LrSchedule.byName("polynomial", LR, 0, 10));
        assertTrue(e.getMessage().contains("constant_with_warmup"), e.getMessage());
        assertThrows(ConfigException.class, () -> LrSchedule.constant(-1));
        assertThrows(ConfigException.class, () -> LrSchedule.linear(LR, -1, 10));
    }
}
