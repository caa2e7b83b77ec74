package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {

    @Test
    void betasAndAlphasCumprodMatchDiffusers() {
        NoiseSchedule s = new NoiseSchedule(SchedRef.sdConfig());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = SchedRef.load("sched_common.safetensors", m);
            double betas = SchedRef.rel(m.create(s.betas()), ref.get("betas"));
            double acp = SchedRef.rel(m.create(s.alphasCumprod()), ref.get("alphas_cumprod"));
            double acpLast = Math.abs(s.alphaCumprod(999) - ref.get("alphas_cumprod").getFloat(999))
                    / ref.get("alphas_cumprod").getFloat(999);
            System.out.printf("schedule: betas rel %.3g, alphas_cumprod rel %.3g, acp[999] rel %.3g%n",
                    betas, acp, acpLast);
            assertTrue(betas <= SchedRef.TOL && acp <= SchedRef.TOL && acpLast <= SchedRef.TOL);
        }
    }

    /** linear and squaredcos_cap_v2 schedules against their defining formulas, computed here in double. */
    @Test
    void otherBetaSchedulesFollowTheirFormulas() {
        NoiseSchedule lin = new NoiseSchedule(SchedulerConfig.defaults());
        NoiseSchedule cos = new NoiseSchedule(SchedulerConfig.defaults().with("beta_schedule", "squaredcos_cap_v2"));
        double worstLin = 0;
        double worstCos = 0;
        for (int i = 0; i < 1000; i++) {
            double b = 0.0001 + (0.02 - 0.0001) * i / 999.0;
            worstLin = Math.max(worstLin, Math.abs(lin.betas()[i] - b) / b);
            double f1 = Math.pow(Math.cos((i / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            double f2 = Math.pow(Math.cos(((i + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            double c = Math.min(1 - f2 / f1, 0.999);
            worstCos = Math.max(worstCos, Math.abs(cos.betas()[i] - c) / c);
        }
        System.out.printf("schedule: linear betas rel %.3g, squaredcos_cap_v2 rel %.3g%n", worstLin, worstCos);
        assertTrue(worstLin <= 1e-6 && worstCos <= 1e-6);
        float[] trained = new NoiseSchedule(SchedulerConfig.parse("t", "{\"num_train_timesteps\": 3,"
                + " \"trained_betas\": [0.1, 0.2, 0.5]}")).alphasCumprod();
        assertEquals(0.9f * 0.8f * 0.5f, trained[2], 1e-7);
    }

    @Test
    void addNoiseAndVelocityMatchDiffusers() {
        NoiseSchedule s = new NoiseSchedule(SchedRef.sdConfig());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = SchedRef.load("sched_ddpm_add_noise.safetensors", m);
            NDArray t = ref.get("timesteps");
            assertEquals(new Shape(3), t.getShape());
            double noisy = SchedRef.rel(s.addNoise(ref.get("original"), ref.get("noise"), t), ref.get("noisy"));
            double velocity = SchedRef.rel(s.getVelocity(ref.get("original"), ref.get("noise"), t), ref.get("velocity"));
            int before = m.getManagedArrays().size();
            s.addNoise(ref.get("original"), ref.get("noise"), t);
            s.getVelocity(ref.get("original"), ref.get("noise"), t);
            assertEquals(before + 2, m.getManagedArrays().size(), "training ops leave only their results");
            Scheduler ddpm = Schedulers.create("ddpm", SchedRef.sdConfig());
            double viaScheduler = SchedRef.rel(ddpm.addNoise(ref.get("original"), ref.get("noise"), t), ref.get("noisy"));
            System.out.printf("add_noise rel %.3g (scheduler %.3g), get_velocity rel %.3g%n", noisy, viaScheduler, velocity);
            assertTrue(noisy <= SchedRef.TOL && velocity <= SchedRef.TOL && viaScheduler <= SchedRef.TOL);
        }
    }

    /** Sigma-space schedulers noise img2img latents as x0 + sigma(t) noise on their own grid (diffusers' Euler). */
    @Test
    void sigmaSchedulersAddNoiseInSigmaSpace() {
        double[] sigmas = SchedRef.doubles(SchedRef.timestepsJson().get("euler").get("linspace_20_sigmas"));
        try (NDManager m = NDManager.newBaseManager(); Scheduler euler = Schedulers.create("euler", SchedRef.sdConfig())) {
            euler.setTimesteps(20);
            float[] ts = euler.timesteps();
            Map<String, NDArray> ref = SchedRef.load("sched_ddpm_add_noise.safetensors", m);
            NDArray x0 = ref.get("original");
            NDArray noise = ref.get("noise");
            int[] idx = {0, 5, 19};
            float[] expected = new float[(int) x0.size()];
            float[] a = x0.toFloatArray();
            float[] n = noise.toFloatArray();
            int per = expected.length / 3;
            for (int k = 0; k < expected.length; k++) {
                expected[k] = (float) (a[k] + sigmas[idx[k / per]] * n[k]);
            }
            NDArray t = m.create(new float[] {ts[0], ts[5], ts[19]});
            double r = SchedRef.rel(euler.addNoise(x0, noise, t), m.create(expected, x0.getShape()));
            System.out.printf("euler add_noise (sigma space) rel %.3g%n", r);
            assertTrue(r <= SchedRef.TOL);
        }
    }

    @Test
    void badTrainingInputsAreRejected() {
        NoiseSchedule s = new NoiseSchedule(SchedRef.sdConfig());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(2, 4, 8, 8));
            String msg = assertThrows(SchedulerException.class,
                    () -> s.addNoise(x, x, m.create(new long[] {0, 1000}))).getMessage();
            assertTrue(msg.contains("timestep 1000 is outside the training schedule [0, 1000)"), msg);
            msg = assertThrows(SchedulerException.class,
                    () -> s.addNoise(x, x, m.create(new long[] {0}))).getMessage();
            assertTrue(msg.contains("one entry per batch element (batch 2)"), msg);
            msg = assertThrows(SchedulerException.class,
                    () -> s.getVelocity(x, m.zeros(new Shape(2, 4, 8, 7)), m.create(new long[] {0, 1}))).getMessage();
            assertTrue(msg.contains("noise shape"), msg);
            msg = assertThrows(SchedulerException.class,
                    () -> s.addNoise(x, x, m.create(new float[] {0, 1}))).getMessage();
            assertTrue(msg.contains("int64 or int32"), msg);
        }
    }
}
