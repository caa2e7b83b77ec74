package dev.bkd.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.BkdException;
import org.junit.jupiter.api.Test;

class NonFiniteLossExceptionTest {
    @Test
    void finiteLossesPassNonFiniteOnesNameStepAndTerm() {
        assertEquals(0.25, NonFiniteLossException.check(3, "loss", 0.25));
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> NonFiniteLossException.check(1200, "loss_kd_feat", bad));
            assertInstanceOf(BkdException.class, e);
            assertEquals(1200, e.step());
            assertEquals("loss_kd_feat", e.term());
            assertTrue(e.getMessage().startsWith("step 1200: loss `loss_kd_feat` is " + bad), e.getMessage());
        }
    }
}
