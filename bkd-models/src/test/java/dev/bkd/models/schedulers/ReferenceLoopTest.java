package dev.bkd.models.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The recorded 20-step diffusers loops (sched_{ddpm,pndm,ddim,euler}.safetensors): every step is fed the
 * recorded model_output and compared (model input, prev_sample, pred_original_sample; DDPM with its recorded
 * variance noise). A second, closed-loop pass runs our own samples through the reference's fake UNet.
 */
class ReferenceLoopTest {

    @Test
    void pndm() {
        check("pndm", "sched_pndm.safetensors", 21);
    }

    @Test
    void ddim() {
        check("ddim", "sched_ddim.safetensors", 20);
    }

    @Test
    void ddpm() {
        check("ddpm", "sched_ddpm.safetensors", 20);
    }

    @Test
    void euler() {
        check("euler", "sched_euler.safetensors", 20);
    }

    private static void check(String name, String file, int steps) {
        try (NDManager m = NDManager.newBaseManager();
                Scheduler s = Schedulers.create(name, SchedRef.sdConfig())) {
            Map<String, NDArray> ref = SchedRef.load(file, m);
            Map<String, NDArray> common = SchedRef.load("sched_common.safetensors", m);
            s.setTimesteps(20);
            float[] ts = s.timesteps();
            assertEquals(steps, ts.length);
            assertArrayEquals(ref.get("timesteps").toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(),
                    ts, 0f, name + " timesteps");
            if (s instanceof SigmaScheduler sig) {
                assertTrue(SchedRef.rel(m.create(sig.sigmas()), ref.get("sigmas")) <= SchedRef.TOL);
            }
            NDArray xT = common.get("x_init_unscaled").mul(s.initNoiseSigma());
            double initErr = SchedRef.rel(xT, ref.get("x_T"));

            // teacher-forced: each step starts from the recorded sample
            double worstIn = 0;
            double worstPrev = 0;
            double worstX0 = 0;
            double worstVar = 0;
            NDArray x = ref.get("x_T");
            for (int i = 0; i < steps; i++) {
                String k = "step" + i + ".";
                worstIn = Math.max(worstIn, SchedRef.rel(s.scaleModelInput(x, ts[i]), ref.get(k + "model_input")));
                StepOutput out = name.equals("ddpm")
                        ? s.stepWithNoise(ref.get(k + "model_output"), ts[i], x, ref.get(k + "variance_noise"))
                        : s.step(ref.get(k + "model_output"), ts[i], x, null);
                worstPrev = Math.max(worstPrev, SchedRef.rel(out.prevSample(), ref.get(k + "prev_sample")));
                if (ref.containsKey(k + "pred_original_sample")) {
                    worstX0 = Math.max(worstX0,
                            SchedRef.rel(out.predOriginalSample(), ref.get(k + "pred_original_sample")));
                } else {
                    assertNull(out.predOriginalSample(), name + " has no x0 prediction in diffusers");
                }
                if (name.equals("ddpm")) {
                    float expected = ref.get(k + "variance").getFloat();
                    float actual = ((DDPMScheduler) s).variance((int) ts[i]);
                    worstVar = Math.max(worstVar, Math.abs(actual - expected) / expected);
                }
                x = ref.get(k + "prev_sample");
            }

            // closed loop: our samples, the reference's fake UNet
            s.setTimesteps(20);
            NDArray p = common.get("fake_model.P");
            NDArray y = xT;
            for (int i = 0; i < steps; i++) {
                NDArray eps = SchedRef.fakeModel(s.scaleModelInput(y, ts[i]), ts[i], p);
                y = name.equals("ddpm")
                        ? s.stepWithNoise(eps, ts[i], y, ref.get("step" + i + ".variance_noise")).prevSample()
                        : s.step(eps, ts[i], y, null).prevSample();
            }
            double finalErr = SchedRef.rel(y, ref.get("x_0"));

            System.out.printf("%-5s x_T %.3g | per step worst rel: model_input %.3g prev_sample %.3g"
                            + " pred_original_sample %.3g%s | closed-loop x_0 %.3g%n",
                    name, initErr, worstIn, worstPrev, worstX0,
                    name.equals("ddpm") ? String.format(" variance %.3g", worstVar) : "", finalErr);
            assertTrue(initErr <= SchedRef.TOL, "x_T");
            assertTrue(worstIn <= SchedRef.TOL, "model_input");
            assertTrue(worstPrev <= SchedRef.TOL, "prev_sample");
            assertTrue(worstX0 <= SchedRef.TOL, "pred_original_sample");
            assertTrue(worstVar <= SchedRef.TOL, "variance");
            assertTrue(finalErr <= SchedRef.TOL, "closed-loop x_0");
        }
    }
}
