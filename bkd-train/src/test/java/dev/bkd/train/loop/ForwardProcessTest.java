package dev.bkd.train.loop;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Noise, timesteps and targets against diffusers' alphas_cumprod (ref/sched_common.safetensors), in plain Java. */
class ForwardProcessTest {
    static SchedulerConfig config(String prediction) {
        return SchedulerConfig.read(RefData.models().resolve("scheduler/scheduler_config.json"))
                .with("prediction_type", prediction);
    }

    @Test
    void epsilonAndVelocityTargetsFollowTheSchedule() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] acp = RefData.load(RefData.ref("sched_common.safetensors"), m).get("alphas_cumprod").toFloatArray();
            for (String p : List.of("epsilon", "v_prediction")) {
                ForwardProcess fp = new ForwardProcess(config(p));
                NDArray x0 = new Generator(1).randn(m, new Shape(64, 4, 2, 2));
                CleanBatch clean = new CleanBatch(x0, m.zeros(new Shape(64, 3, 2)), java.util.Collections.nCopies(64, ""));
                DiffusionBatch b = fp.apply(clean, new Generator(5), m);
                long[] t = b.timesteps().toLongArray();
                float[] x = x0.toFloatArray();
                float[] n = b.noise().toFloatArray();
                float[] xt = b.noisyLatents().toFloatArray();
                float[] target = b.target().toFloatArray();
                double worst = 0;
                for (int i = 0; i < 64; i++) {
                    assertTrue(t[i] >= 0 && t[i] < 1000, "timestep " + t[i]);
                    double a = Math.sqrt(acp[(int) t[i]]);
                    double s = Math.sqrt(1 - acp[(int) t[i]]);
                    for (int j = 0; j < 16; j++) {
                        int k = i * 16 + j;
                        worst = Math.max(worst, Math.abs(xt[k] - (a * x[k] + s * n[k])));
                        double want = p.equals("epsilon") ? n[k] : a * n[k] - s * x[k];
                        worst = Math.max(worst, Math.abs(target[k] - want));
                    }
                }
                System.out.printf("%s: noisy latents and target within %.2g of the plain-Java formula%n", p, worst);
                assertTrue(worst < 1e-5, p + " differs by " + worst);
                assertEquals(p, fp.predictionType());
            }
        }
    }

    @Test
    void theSameGeneratorStateDrawsTheSameBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            ForwardProcess fp = new ForwardProcess(config("epsilon"));
            CleanBatch clean = new CleanBatch(m.ones(new Shape(3, 4, 2, 2)), m.zeros(new Shape(3, 1, 1)), List.of("a", "b", "c"));
            Generator g = new Generator(9);
            Generator.State s = g.state();
            DiffusionBatch one = fp.apply(clean, g, m);
            g.restore(s);
            DiffusionBatch two = fp.apply(clean, g, m);
            assertArrayEquals(one.noise().toFloatArray(), two.noise().toFloatArray());
            assertArrayEquals(one.timesteps().toLongArray(), two.timesteps().toLongArray());
        }
    }

    @Test
    void samplePredictionIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> new ForwardProcess(config("sample")));
        assertTrue(e.getMessage().contains("prediction_type") && e.getMessage().contains("sample"), e.getMessage());
    }
}
