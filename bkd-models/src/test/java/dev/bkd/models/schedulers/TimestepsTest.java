package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

/** sched_timesteps.json: timesteps (and Euler sigmas) for spacing leading/linspace/trailing x 20/50 steps. */
class TimestepsTest {
    private static final String[] SPACINGS = {"leading", "linspace", "trailing"};
    private static final int[] STEPS = {20, 50};

    @Test
    void discreteSchedulersMatchDiffusersExactly() {
        JsonNode ref = SchedRef.timestepsJson();
        for (String name : new String[] {"ddpm", "pndm", "ddim"}) {
            for (String spacing : SPACINGS) {
                for (int n : STEPS) {
                    Scheduler s = Schedulers.create(name, SchedRef.sdConfig().with("timestep_spacing", spacing));
                    s.setTimesteps(n);
                    double[] expected = SchedRef.doubles(ref.get(name).get(spacing + "_" + n));
                    float[] actual = s.timesteps();
                    assertEquals(expected.length, actual.length, name + " " + spacing + " " + n);
                    for (int i = 0; i < actual.length; i++) {
                        assertEquals(expected[i], actual[i], 0.0, name + " " + spacing + " " + n + " [" + i + "]");
                    }
                }
            }
        }
    }

    /** Euler's reference grid; Euler ancestral and LMS build the very same grid in diffusers. */
    @Test
    void sigmaSchedulersMatchDiffusersEulerGrid() {
        JsonNode euler = SchedRef.timestepsJson().get("euler");
        double worst = 0;
        for (String name : new String[] {"euler", "euler-a", "lms"}) {
            for (String spacing : SPACINGS) {
                for (int n : STEPS) {
                    SigmaScheduler s = (SigmaScheduler) Schedulers.create(name,
                            SchedRef.sdConfig().with("timestep_spacing", spacing));
                    s.setTimesteps(n);
                    String what = name + " " + spacing + " " + n;
                    double[] t = SchedRef.doubles(euler.get(spacing + "_" + n));
                    float[] actual = s.timesteps();
                    for (int i = 0; i < t.length; i++) {
                        assertEquals(t[i], actual[i], 0.0, what + " timestep [" + i + "]");
                    }
                    double[] sig = SchedRef.doubles(euler.get(spacing + "_" + n + "_sigmas"));
                    double r = SchedRef.rel(s.sigmas(), sig);
                    worst = Math.max(worst, r);
                    assertTrue(r <= SchedRef.TOL, what + " sigmas rel " + r);
                    // diffusers: max sigma for linspace/trailing, sqrt(max^2 + 1) for leading
                    double init = spacing.equals("leading") ? Math.sqrt(sig[0] * sig[0] + 1) : sig[0];
                    assertEquals(init, s.initNoiseSigma(), init * 1e-6, what + " init_noise_sigma");
                }
            }
        }
        System.out.printf("timesteps: euler/euler-a/lms sigmas worst rel %.3g%n", worst);
    }

    /** Without an explicit timestep_spacing each class uses its own default (from_config semantics). */
    @Test
    void classDefaultsApplyWhenTheFileIsSilent() {
        JsonNode ref = SchedRef.timestepsJson();
        SchedulerConfig sd = SchedRef.sdConfig();
        Scheduler pndm = Schedulers.create("pndm", sd);
        pndm.setTimesteps(20);
        assertEquals(ref.get("pndm").get("as_loaded_config").get("timestep_spacing").asText(), "leading");
        assertEquals(ref.get("pndm").get("leading_20").get(1).asDouble(), pndm.timesteps()[1], 0.0);
        Scheduler euler = Schedulers.create("euler", sd);
        euler.setTimesteps(20);
        assertEquals(ref.get("euler").get("as_loaded_config").get("timestep_spacing").asText(), "linspace");
        assertEquals(ref.get("euler").get("linspace_20").get(1).asDouble(), euler.timesteps()[1], 0.0);
        assertEquals("EulerDiscreteScheduler", euler.config().className());
    }
}
