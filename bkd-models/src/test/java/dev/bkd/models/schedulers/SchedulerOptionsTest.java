package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

/**
 * Each scheduler's option record resolves the fields its diffusers class defaults differently (expected values:
 * the class signatures in diffusers' scheduling_*.py), and a value the file sets wins over the class default.
 */
class SchedulerOptionsTest {
    private static final SchedulerConfig EMPTY = SchedulerConfig.defaults();

    @Test
    void absentFieldsTakeEachClassDefault() {
        PndmOptions pndm = PndmOptions.of(EMPTY);
        assertEquals("leading", pndm.steps().timestepSpacing());
        assertFalse(pndm.setAlphaToOne());
        assertFalse(pndm.skipPrkSteps());

        DdimOptions ddim = DdimOptions.of(EMPTY);
        assertEquals("leading", ddim.steps().timestepSpacing());
        assertTrue(ddim.setAlphaToOne());
        assertTrue(ddim.clipSample());
        assertEquals(1.0, ddim.clipSampleRange());
        assertEquals(0.0, ddim.eta());

        DdpmOptions ddpm = DdpmOptions.of(EMPTY);
        assertTrue(ddpm.clipSample());
        assertEquals("fixed_small", ddpm.varianceType());

        SigmaOptions sigma = SigmaOptions.of(EMPTY);
        assertEquals("linspace", sigma.steps().timestepSpacing());
        assertFalse(sigma.karras() || sigma.exponential() || sigma.logLinear() || sigma.finalSigmaMin());
        assertNull(sigma.sigmaMin());

        DpmSolverOptions dpm = DpmSolverOptions.of(EMPTY);
        assertEquals("dpmsolver++", dpm.algorithmType());
        assertEquals(2, dpm.solverOrder());
        assertFalse(dpm.heun());
        assertTrue(dpm.lowerOrderFinal());
        assertEquals(Double.NEGATIVE_INFINITY, dpm.lambdaMinClipped());
        assertEquals(1000, dpm.sigma().steps().numTrainTimesteps());
        assertEquals("epsilon", dpm.sigma().steps().predictionType());
    }

    @Test
    void fileValuesWinOverClassDefaults() {
        SchedulerConfig c = SchedulerConfig.parse("test", """
                {"timestep_spacing": "trailing", "set_alpha_to_one": false, "clip_sample": false,
                 "steps_offset": 1, "use_karras_sigmas": true, "solver_type": "heun", "final_sigmas_type": "sigma_min"}
                """);
        assertEquals("trailing", PndmOptions.of(c).steps().timestepSpacing());
        assertEquals(1, PndmOptions.of(c).steps().stepsOffset());
        assertFalse(DdimOptions.of(c).setAlphaToOne());
        assertFalse(DdpmOptions.of(c).clipSample());
        assertTrue(SigmaOptions.of(c).karras());
        assertTrue(SigmaOptions.of(c).finalSigmaMin());
        assertTrue(DpmSolverOptions.of(c).heun());
    }
}
