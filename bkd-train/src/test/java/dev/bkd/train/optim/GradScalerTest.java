package dev.bkd.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.train.checkpoint.CheckpointException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** torch.cuda.amp.GradScaler's documented schedule: init 65536, x0.5 on inf/NaN, x2 after 2000 good steps. */
class GradScalerTest {
    @Test
    void defaultsAreGradScalersAndGrowthComesEvery2000GoodSteps() {
        GradScaler s = new GradScaler(GradScaler.Config.defaults());
        assertEquals(65536.0, s.scale());
        for (int i = 0; i < 1999; i++) {
            s.update(false);
        }
        assertEquals(65536.0, s.scale(), "no growth before the 2000th good step");
        assertEquals(1999, s.growthTracker());
        s.update(false);
        assertEquals(131072.0, s.scale());
        assertEquals(0, s.growthTracker());
    }

    @Test
    void anOverflowHalvesTheScaleAndRestartsTheCount() {
        GradScaler s = new GradScaler(GradScaler.Config.defaults());
        for (int i = 0; i < 1500; i++) {
            s.update(false);
        }
        s.update(true);
        assertEquals(32768.0, s.scale());
        assertEquals(0, s.growthTracker());
        for (int i = 0; i < 1999; i++) {
            s.update(false);
        }
        assertEquals(32768.0, s.scale(), "the 1500 good steps before the overflow do not count");
        s.update(false);
        assertEquals(65536.0, s.scale());
    }

    @Test
    void unscaleDividesInPlaceAndReportsInfAndNaN() {
        GradScaler s = new GradScaler(GradScaler.Config.defaults());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {65536f, -131072f});
            assertTrue(s.unscale(List.of(a)));
            assertEquals(List.of(1f, -2f), List.of(a.getFloat(0), a.getFloat(1)));
            assertFalse(s.unscale(List.of(m.create(new float[] {1f}), m.create(new float[] {Float.POSITIVE_INFINITY}))));
            assertFalse(s.unscale(List.of(m.create(new float[] {Float.NaN}))));
        }
    }

    @Test
    void stateRoundTripsAndAMissingStateIsACheckpointError() {
        GradScaler s = new GradScaler(GradScaler.Config.defaults());
        s.update(true);
        s.update(false);
        GradScaler r = new GradScaler(GradScaler.Config.defaults());
        r.restore(s.state(), "ckpt");
        assertEquals(32768.0, r.scale());
        assertEquals(1, r.growthTracker());
        CheckpointException e = assertThrows(CheckpointException.class, () -> r.restore(null, "checkpoint-3"));
        assertTrue(e.getMessage().contains("checkpoint-3") && e.getMessage().contains("--mixed-precision"));
    }
}
