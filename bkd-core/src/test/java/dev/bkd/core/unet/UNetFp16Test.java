package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tiny UNet in fp16 on CPU (slow but correct) against the fp32 diffusers reference. fp16 keeps ~3
 * decimal digits, so the bound is loose: 1% of the output's range.
 */
class UNetFp16Test {

    @Test
    void fp16MatchesFp32WithinHalfPrecision() {
        run(false);
    }

    @Test
    void fp16WithUpcastAttention() {
        run(true); // same weights; upcast_attention only changes where the attention is computed
    }

    private static void run(boolean upcast) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = RefData.load(RefData.ref("unet.safetensors"), m);
            UNet2DConditionConfig c = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"))
                    .toBuilder().upcastAttention(upcast).build();
            UNet2DConditionModel unet;
            try (StateDict sd = StateDicts.open(RefData.models().resolve("unet"))) {
                unet = UNet2DConditionModel.fromStateDict(c, sd, m,
                        UNet2DConditionModel.Options.defaults().withDtype(DataType.FLOAT16));
            }
            for (String k : List.of("case0", "case2")) {
                NDArray want = ref.get(k + ".out");
                long t0 = System.nanoTime();
                UNet2DConditionModel.Output o = unet.forward(ref.get(k + ".sample").toType(DataType.FLOAT16, false),
                        ref.get(k + ".timestep"), ref.get(k + ".encoder_hidden_states").toType(DataType.FLOAT16, false),
                        List.of("mid_block"));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(DataType.FLOAT16, o.sample().getDataType());
                double range = want.abs().max().getFloat();
                double d = RefData.maxAbsDiff(want, o.sample().toType(DataType.FLOAT32, false));
                System.out.printf("UNet fp16%s %s: max abs error %.3g vs fp32 reference (output max |x| %.3g, "
                        + "relative %.2e), %d ms%n", upcast ? " upcast" : "", k, d, range, d / range, ms);
                NDArray mid = ref.get(k + ".trace.mid_block");
                if (mid != null) {
                    double dm = RefData.maxAbsDiff(mid, o.features().get("mid_block").toType(DataType.FLOAT32, false));
                    double mr = mid.abs().max().getFloat();
                    System.out.printf("UNet fp16%s %s mid_block: max abs error %.3g (max |x| %.3g)%n",
                            upcast ? " upcast" : "", k, dm, mr);
                    assertTrue(dm <= 0.01 * mr, "mid_block fp16 error " + dm);
                }
                assertTrue(d <= 0.01 * range, k + ": fp16 error " + d + " > 1% of " + range);
            }
        }
    }
}
