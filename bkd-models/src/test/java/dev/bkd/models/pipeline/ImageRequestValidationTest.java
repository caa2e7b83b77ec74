package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.models.schedulers.SchedulerException;
import dev.bkd.models.schedulers.Schedulers;
import dev.bkd.models.schedulers.StrengthSchedule;
import dev.bkd.models.schedulers.Scheduler;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.testing.RefData;
import java.awt.image.BufferedImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Bad image-to-image / inpainting requests fail at build time with the field named. */
class ImageRequestValidationTest {
    private static final BufferedImage IMAGE = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);

    private static GenerationRequestException fails(GenerationRequest.Builder b) {
        return assertThrows(GenerationRequestException.class, b::build);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.1, 1.0000001, Double.NaN})
    void strengthOutsideZeroOne(double s) {
        GenerationRequestException e = fails(GenerationRequest.builder("x").initImage(IMAGE).strength(s));
        assertEquals("strength", e.field());
        assertTrue(e.getMessage().contains("(0, 1]"), e.getMessage());
    }

    @Test
    void maskOfAnotherSize() {
        GenerationRequestException e = fails(GenerationRequest.builder("x").initImage(IMAGE)
                .mask(new BufferedImage(64, 56, BufferedImage.TYPE_BYTE_GRAY)));
        assertEquals("mask", e.field());
        assertTrue(e.getMessage().contains("64x56") && e.getMessage().contains("64x64"), e.getMessage());
    }

    @Test
    void imageOptionsWithoutAnImage() {
        assertEquals("mask", fails(GenerationRequest.builder("x").mask(IMAGE)).field());
        assertEquals("strength", fails(GenerationRequest.builder("x").strength(0.5)).field());
        assertEquals("legacyInpainting", fails(GenerationRequest.builder("x").initImage(IMAGE)
                .legacyInpainting(true)).field());
    }

    @Test
    void strengthTooSmallForTheSteps() {
        SchedulerConfig cfg = SchedulerConfig.read(RefData.models().resolve("scheduler/scheduler_config.json"));
        try (Scheduler s = Schedulers.create("ddim", cfg)) {
            SchedulerException e = assertThrows(SchedulerException.class, () -> StrengthSchedule.apply(s, 10, 0.05));
            assertTrue(e.getMessage().contains("0 denoising steps"), e.getMessage());
        }
    }
}
