package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.random.Generator;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Image-to-image's start on every scheduler: the truncated schedule is the tail of set_timesteps, the begin index
 * is taken exactly by the schedulers diffusers gives set_begin_index, and add_noise at the first timestep follows
 * each class's diffusers formula, evaluated here in double: VP sqrt(acp) x0 + sqrt(1 - acp) n with acp from the
 * scaled-linear betas (DDIM, DDPM, PNDM), x0 + sigma n (Euler, Euler a, LMS), alpha(sigma) x0 + sigma alpha n
 * (DPM++, also with Karras sigmas, where the sigma is not the table's at the rounded timestep).
 */
class StrengthScheduleTest {

    @ParameterizedTest
    @CsvSource({"ddim, false, vp", "ddpm, false, vp", "pndm, false, vp", "euler, false, ve", "euler-a, false, ve",
            "lms, false, ve", "dpm++2m, false, dpm", "dpm++2m, true, dpm", "euler, true, ve"})
    void addNoiseAtTheFirstTimestepFollowsDiffusers(String name, boolean karras, String kind) {
        SchedulerConfig cfg = SchedRef.sdConfig().with("use_karras_sigmas", karras);
        try (NDManager m = NDManager.newBaseManager(); Scheduler s = Schedulers.create(name, cfg)) {
            StrengthSchedule w = StrengthSchedule.apply(s, 10, 0.6);
            float[] all = s.timesteps();
            assertEquals(6, w.initTimestep());
            assertEquals(all.length - w.tStart(), w.timesteps().length);
            assertTrue(Arrays.equals(Arrays.copyOfRange(all, w.tStart(), all.length), w.timesteps()));
            assertEquals(s instanceof SigmaScheduler, w.beginIndexSet(), "set_begin_index exists in diffusers");

            Generator g = new Generator(5);
            NDArray x0 = g.randn(m, new Shape(2, 4, 3, 3));
            NDArray n = g.randn(m, new Shape(2, 4, 3, 3));
            float t = w.latentTimestep();
            NDArray ts = t == Math.rint(t) ? m.create(new long[] {(long) t, (long) t})
                    : m.create(new float[] {t, t});
            NDArray got = s.addNoise(x0, n, ts);
            double a;
            double b;
            if (kind.equals("vp")) {
                double acp = ScaledLinear.alphaCumprod((int) t);
                a = Math.sqrt(acp);
                b = Math.sqrt(1 - acp);
            } else {
                double sigma = ((SigmaScheduler) s).sigmas()[w.tStart()];
                a = kind.equals("ve") ? 1 : 1 / Math.sqrt(sigma * sigma + 1);
                b = kind.equals("ve") ? sigma : sigma / Math.sqrt(sigma * sigma + 1);
            }
            NDArray want = x0.toType(DataType.FLOAT64, false).mul(a).add(n.toType(DataType.FLOAT64, false).mul(b));
            double err = want.sub(got.toType(DataType.FLOAT64, false)).abs().max().getDouble();
            assertTrue(err < 2e-5 * Math.max(1, b), name + (karras ? " karras" : "") + ": add_noise off by " + err);
        }
    }
}
