package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour every scheduler owes its callers: resets, reproducibility, array lifetimes, from_config, errors. */
class SchedulerContractTest {
    private static final Shape SHAPE = new Shape(2, 4, 8, 8);

    /** setTimesteps resets all state: a fresh run, a rerun and a run after an abandoned one agree bit for bit. */
    @Test
    void setTimestepsResetsAllState() {
        for (String name : Schedulers.names()) {
            try (NDManager m = NDManager.newBaseManager(); Scheduler s = Schedulers.create(name, SchedRef.sdConfig())) {
                float[] first = sample(s, m, 12, Integer.MAX_VALUE, 3);
                sample(s, m, 7, 4, 3); // abandoned part-way, other step count
                float[] again = sample(s, m, 12, Integer.MAX_VALUE, 3);
                float[] fresh;
                try (Scheduler t = Schedulers.create(name, SchedRef.sdConfig())) {
                    fresh = sample(t, m, 12, Integer.MAX_VALUE, 3);
                }
                assertArrayEquals(first, again, 0f, name + ": rerun after setTimesteps");
                assertArrayEquals(first, fresh, 0f, name + ": fresh scheduler");
            }
        }
    }

    /** Same seed, same samples; another seed, other samples; step(generator) draws exactly one randn per step. */
    @Test
    void stochasticSchedulersAreReproducibleFromTheSeed() {
        SchedulerConfig cfg = SchedRef.sdConfig();
        for (String name : new String[] {"euler-a", "ddpm", "ddim"}) {
            SchedulerConfig c = name.equals("ddim") ? cfg.with("eta", 1.0) : cfg;
            try (NDManager m = NDManager.newBaseManager(); Scheduler s = Schedulers.create(name, c)) {
                float[] a = sample(s, m, 10, Integer.MAX_VALUE, 42);
                float[] b = sample(s, m, 10, Integer.MAX_VALUE, 42);
                float[] other = sample(s, m, 10, Integer.MAX_VALUE, 43);
                assertArrayEquals(a, b, 0f, name);
                assertTrue(SchedRef.rel(m.create(other), m.create(a)) > 1e-2, name + ": seed matters");

                s.setTimesteps(10);
                Generator inject = new Generator(42);
                NDArray x = start(m, s);
                for (float t : s.timesteps()) {
                    x = s.stepWithNoise(model(m, s.scaleModelInput(x, t), t), t, x, inject.randn(m, SHAPE)).prevSample();
                }
                assertArrayEquals(a, x.toFloatArray(), 0f, name + ": injected noise == generator draws");
            }
        }
    }

    /** Steps leave only their outputs in the caller's manager; inputs stay put; history is bounded and reset. */
    @Test
    void arrayLifetimesAreScoped() {
        for (String name : Schedulers.names()) {
            try (NDManager m = NDManager.newBaseManager(); Scheduler s = Schedulers.create(name, SchedRef.sdConfig())) {
                s.setTimesteps(30);
                Generator g = new Generator(1);
                NDArray x = start(m, s);
                int maxHistory = 0;
                for (float t : s.timesteps()) {
                    NDArray eps = model(m, s.scaleModelInput(x, t), t);
                    int before = m.getManagedArrays().size();
                    StepOutput out = s.step(eps, t, x, g);
                    int added = m.getManagedArrays().size() - before;
                    int outputs = out.predOriginalSample() == null ? 1 : 2;
                    assertEquals(outputs, added, name + ": arrays left in the caller's manager by one step");
                    assertSame(m, eps.getManager(), name + ": model output returned to its manager");
                    assertSame(m, x.getManager(), name + ": sample returned to its manager");
                    assertTrue(eps.toFloatArray().length > 0 && x.toFloatArray().length > 0);
                    maxHistory = Math.max(maxHistory, ((AbstractScheduler) s).historyArrays());
                    x = out.prevSample();
                }
                assertTrue(maxHistory <= 6, name + ": history grew to " + maxHistory + " arrays");
                s.setTimesteps(10);
                assertEquals(0, ((AbstractScheduler) s).historyArrays(), name + ": history survived setTimesteps");
                for (float v : x.toFloatArray()) {
                    assertTrue(Float.isFinite(v), name + " produced " + v);
                }
            }
        }
    }

    /** Any scheduler builds from any other's config: explicit fields carry over, absent ones take class defaults. */
    @Test
    void anySchedulerBuildsFromAnotherOnesConfig(@TempDir Path dir) {
        for (String from : Schedulers.names()) {
            SchedulerConfig source;
            try (Scheduler s = Schedulers.create(from, SchedRef.sdConfig())) {
                source = s.config();
            }
            for (String to : Schedulers.names()) {
                try (Scheduler s = Schedulers.create(to, source)) {
                    assertEquals(1, s.config().stepsOffset());
                    assertEquals("scaled_linear", s.config().betaSchedule());
                    s.setTimesteps(10);
                    boolean leading = s instanceof PNDMScheduler || s instanceof DDIMScheduler
                            || s instanceof DDPMScheduler;
                    assertEquals(leading ? 901f : 999f, s.timesteps()[0], 0.5f, from + " -> " + to
                            + ": timestep_spacing must be the target's default");
                }
            }
        }
        try (Scheduler euler = Schedulers.create("euler", SchedRef.sdConfig())) {
            Path file = dir.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME);
            euler.config().write(file);
            try (Scheduler loaded = Schedulers.load(file)) {
                assertTrue(loaded instanceof EulerDiscreteScheduler);
                euler.setTimesteps(25);
                loaded.setTimesteps(25);
                assertArrayEquals(euler.timesteps(), loaded.timesteps(), 0f);
            }
        }
        try (Scheduler byClassName = Schedulers.create("LMSDiscreteScheduler", SchedRef.sdConfig())) {
            assertEquals("lms", byClassName.name());
        }
    }

    @Test
    void misuseIsReportedPrecisely() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(SHAPE);
            Scheduler ddim = Schedulers.create("ddim", SchedRef.sdConfig());
            expect(() -> ddim.step(x, 1, x, null), "ddim: call setTimesteps(n) before sampling");
            expect(() -> ddim.timesteps(), "ddim: call setTimesteps(n) before sampling");
            expect(() -> ddim.setTimesteps(0), "number of inference steps must be in [1, 1000]");
            expect(() -> ddim.setTimesteps(1001), "got 1001");
            ddim.setTimesteps(10);
            expect(() -> ddim.step(x, 1.5f, x, null), "timestep 1.5 is not an integer training timestep");
            expect(() -> ddim.step(x, 1000, x, null), "timestep 1000 is outside the training schedule");
            expect(() -> ddim.step(m.zeros(new Shape(2, 4, 8, 4)), 1, x, null), "model output shape");

            Scheduler ddpm = Schedulers.create("ddpm", SchedRef.sdConfig());
            ddpm.setTimesteps(10);
            expect(() -> ddpm.step(x, ddpm.timesteps()[0], x, null), "ddpm: this step draws variance noise; pass a Generator");
            expect(() -> ddpm.stepWithNoise(x, ddpm.timesteps()[0], x, m.zeros(new Shape(1))), "variance noise shape");

            Scheduler euler = Schedulers.create("euler", SchedRef.sdConfig());
            euler.setTimesteps(2);
            expect(() -> euler.scaleModelInput(x, 500), "euler: timestep 500.0 is not one of this schedule's timesteps");
            for (float t : euler.timesteps()) {
                euler.step(x, t, x, null);
            }
            expect(() -> euler.step(x, 0, x, null), "all 2 steps are done; call setTimesteps");
        }
    }

    @Test
    void unsupportedConfigurationsAreRejectedNamingTheField() {
        SchedulerConfig sd = SchedRef.sdConfig();
        expectConfig(() -> Schedulers.create("euler-a", sd.with("prediction_type", "sample")),
                "field `prediction_type` = \"sample\" is not supported by EulerAncestralDiscreteScheduler");
        expectConfig(() -> Schedulers.create("euler-a", sd.with("use_karras_sigmas", true)),
                "field `use_karras_sigmas` = true is not supported by EulerAncestralDiscreteScheduler");
        expectConfig(() -> Schedulers.create("lms", sd.with("final_sigmas_type", "sigma_min")),
                "field `final_sigmas_type` = \"sigma_min\" is not supported by LMSDiscreteScheduler");
        expectConfig(() -> Schedulers.create("pndm", sd.with("prediction_type", "sample")),
                "field `prediction_type` = \"sample\" is not supported by PNDMScheduler");
        expectConfig(() -> Schedulers.create("dpm++2m", sd.with("algorithm_type", "dpmsolver")),
                "field `final_sigmas_type` = \"zero\" is not supported by DPMSolverMultistepScheduler");
        expectConfig(() -> Schedulers.create("dpm++2m", sd.with("algorithm_type", "sde-dpmsolver++")
                .with("solver_order", 3)), "field `solver_order` = 3 is not supported");
        expectConfig(() -> Schedulers.create("dpm++2m", sd.with("use_exponential_sigmas", true)),
                "field `use_exponential_sigmas` = true");
        expectConfig(() -> Schedulers.create("heun", sd), "unknown scheduler \"heun\" (known: pndm, ddim, ddpm,");
        expectConfig(() -> Schedulers.fromConfig(SchedulerConfig.defaults()), "field `_class_name` is missing");
        expectConfig(() -> Schedulers.fromConfig(sd.withClassName("UniPCMultistepScheduler")),
                "field `_class_name` = \"UniPCMultistepScheduler\" is not supported");
        assertThrows(SchedulerException.class,
                () -> Schedulers.create("pndm", sd.with("skip_prk_steps", false)).setTimesteps(3));
    }

    // ---------------------------------------------------------------- helpers

    /** Runs up to {@code limit} of {@code n} steps from fixed latents with a fixed fake model. */
    private static float[] sample(Scheduler s, NDManager m, int n, int limit, long seed) {
        s.setTimesteps(n);
        Generator g = new Generator(seed);
        NDArray x = start(m, s);
        float[] ts = s.timesteps();
        for (int i = 0; i < ts.length && i < limit; i++) {
            x = s.step(model(m, s.scaleModelInput(x, ts[i]), ts[i]), ts[i], x, g).prevSample();
        }
        return x.toFloatArray();
    }

    private static NDArray start(NDManager m, Scheduler s) {
        return new Generator(2024).randn(m, SHAPE).mul(s.initNoiseSigma());
    }

    private static NDArray model(NDManager m, NDArray input, float t) {
        NDArray p = new Generator(7).randn(m, SHAPE);
        return SchedRef.fakeModel(input, t, p);
    }

    private static void expect(Runnable call, String fragment) {
        BkdException e = assertThrows(BkdException.class, call::run);
        assertTrue(e.getMessage().contains(fragment), "message: " + e.getMessage());
    }

    private static void expectConfig(Supplier<?> call, String fragment) {
        ConfigException e = assertThrows(ConfigException.class, call::get);
        assertTrue(e.getMessage().contains(fragment), "message: " + e.getMessage());
    }
}
