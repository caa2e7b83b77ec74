package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.testing.RefData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny SD1.x UNet against diffusers 0.40 outputs and forward-hook traces in ref/unet.safetensors. */
class UNetReferenceTest {
    static final double TOL = 1e-4;
    static NDManager manager;
    static UNet2DConditionModel unet;
    static Map<String, NDArray> ref;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        unet = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), manager,
                UNet2DConditionModel.Options.defaults());
        ref = RefData.load(RefData.ref("unet.safetensors"), manager);
    }

    @AfterAll
    static void free() {
        manager.close();
    }

    static double check(String what, NDArray want, NDArray got) {
        double d = RefData.maxAbsDiff(want, got);
        System.out.printf("UNet %-28s max abs error %.3g%n", what, d);
        assertTrue(d <= TOL, what + ": max abs error " + d + " > " + TOL);
        return d;
    }

    @Test
    void case0OutputAndEveryTracedModule() {
        List<String> traced = new ArrayList<>();
        for (String k : ref.keySet()) {
            if (k.startsWith("case0.trace.")) {
                traced.add(k.substring("case0.trace.".length()));
            }
        }
        assertEquals(15, traced.size(), "trace keys in the reference file");
        try (NDManager call = manager.newSubManager()) {
            UNet2DConditionModel.Output o = unet.forward(ref.get("case0.sample"), ref.get("case0.timestep"),
                    ref.get("case0.encoder_hidden_states"), traced);
            double worst = check("case0 out", ref.get("case0.out"), o.sample());
            assertEquals(traced.size(), o.features().size());
            for (String t : traced) {
                worst = Math.max(worst, check("case0 " + t, ref.get("case0.trace." + t), o.features().get(t)));
            }
            System.out.printf("UNet case0 worst over output and %d traces: %.3g%n", traced.size(), worst);
        }
    }

    @Test
    void case1AndCase2Outputs() {
        for (String c : List.of("case1", "case2")) {
            NDArray y = unet.forward(ref.get(c + ".sample"), ref.get(c + ".timestep"),
                    ref.get(c + ".encoder_hidden_states"));
            check(c + " out", ref.get(c + ".out"), y);
            y.close();
        }
    }

    @Test
    void scalarAndFloatTimestepsBroadcastToTheBatch() {
        // case0 uses t = 981 for both samples; case1 has batch 1
        long[] t0 = ref.get("case0.timestep").toLongArray();
        assertEquals(t0[0], t0[1]);
        NDArray y = unet.forward(ref.get("case0.sample"), (double) t0[0], ref.get("case0.encoder_hidden_states"));
        check("case0 scalar double t", ref.get("case0.out"), y);
        try (NDArray tf = manager.create(new float[] {t0[0]})) {
            check("case0 (1,) float32 t", ref.get("case0.out"),
                    unet.forward(ref.get("case0.sample"), tf, ref.get("case0.encoder_hidden_states")));
        }
        try (NDArray ti = manager.create((int) ref.get("case1.timestep").toLongArray()[0])) {
            check("case1 int32 scalar t", ref.get("case1.out"),
                    unet.forward(ref.get("case1.sample"), ti, ref.get("case1.encoder_hidden_states")));
        }
    }

    @Test
    void configOfTheReferenceFolder() {
        UNet2DConditionConfig c = unet.config();
        assertEquals(List.of(16, 32, 32, 32), c.blockOutChannels());
        assertEquals(List.of(8, 8, 8, 8), c.attentionHeadDim());
        assertEquals(64, c.timeEmbedDim());
    }
}
