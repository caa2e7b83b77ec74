package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Gradient checkpointing must give the gradients of the plain forward/backward for every parameter (and for a
 * context that records gradients, as when the text encoder trains), with and without feature taps, on the tiny
 * reference UNet. The expected values are the plain run's, i.e. libtorch's own autograd over the whole graph.
 * Checked in float64: the one legitimate difference, the order in which gradient contributions are summed, is then
 * far below the 1e-6 bound (in float32 it alone reaches ~1e-6 of the largest entry, which says nothing about the
 * recomputation).
 */
class GradientCheckpointingTest {
    private static final List<String> TAPS = List.of("conv_in", "down_blocks.1", "mid_block",
            "up_blocks.1.attentions.0.proj_out", "up_blocks.3", "conv_out");

    @Test
    void gradientsEqualThePlainBackwardWithoutTaps() {
        compare(DataType.FLOAT64, List.of(), 8);
    }

    @Test
    void gradientsEqualThePlainBackwardWithTaps() {
        compare(DataType.FLOAT64, TAPS, 8);
    }

    @Test
    void oddLatentSizeAlsoMatches() {
        compare(DataType.FLOAT64, TAPS, 6); // 6x6 latents take the explicit-upsample-size path
    }

    private static void compare(DataType dtype, List<String> taps, int hw) {
        try (NDManager m = NDManager.newBaseManager();
             UNet2DConditionModel u = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                     UNet2DConditionModel.Options.defaults().withDtype(dtype))) {
            Weights.setTrainable(u, true);
            UNet2DConditionConfig c = u.config();
            Generator g = new Generator(11);
            NDArray x = g.randn(m, new Shape(2, c.inChannels(), hw, hw)).toType(dtype, false);
            NDArray t = g.randint(m, 0, 1000, new Shape(2));
            NDArray ctx = g.randn(m, new Shape(2, 7, c.crossAttentionDim().get(0))).toType(dtype, false);
            ctx.setRequiresGradient(true);
            Map<String, NDArray> params = Weights.stateDict(u);

            Map<String, double[]> plain;
            double[] plainCtx;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                UNet2DConditionModel.Output o = u.forward(x, t, ctx, taps);
                gc.backward(loss(o));
                plain = snapshot(params, m);
                plainCtx = ctxGrad(ctx);
            }
            Autograd.zeroGrads(params);
            JniUtils.zeroGrad((PtNDArray) ctx);

            Map<String, double[]> ckpt;
            double[] ckptCtx;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Segments.Result r = u.forwardCheckpointed(x, t, ctx, taps);
                assertEquals(taps, List.copyOf(r.output().features().keySet()));
                gc.backward(loss(r.output()));
                r.backward().backward();
                ckpt = snapshot(params, m);
                ckptCtx = ctxGrad(ctx);
            }
            assertEquals(params.size(), plain.size(), "every parameter gets a gradient in the plain run");
            assertEquals(plain.keySet(), ckpt.keySet());
            int nonZero = 0;
            for (String k : plain.keySet()) {
                nonZero += assertClose(k, plain.get(k), ckpt.get(k));
            }
            // a 1x1 mid block's self-attention has a constant softmax, so some are legitimately zero; most are not
            assertTrue(nonZero > plain.size() * 9 / 10, nonZero + " of " + plain.size() + " gradients are non-zero");
            assertEquals(1, assertClose("encoder_hidden_states", plainCtx, ckptCtx));
        }
    }

    /** The output's and every feature's mean square: every tap feeds the loss. */
    private static NDArray loss(UNet2DConditionModel.Output o) {
        NDArray l = o.sample().square().mean();
        for (NDArray f : o.features().values()) {
            l = l.add(f.square().mean());
        }
        return l;
    }

    private static Map<String, double[]> snapshot(Map<String, NDArray> params, NDManager m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        Autograd.grads(params, m).forEach((k, v) -> out.put(k, v.toType(DataType.FLOAT64, true).toDoubleArray()));
        return out;
    }

    private static double[] ctxGrad(NDArray ctx) {
        NDArray gr = JniUtils.getGradient((PtNDArray) ctx);
        assertNotNull(gr, "the context records gradients");
        return gr.toType(DataType.FLOAT64, true).toDoubleArray();
    }

    /** max |a - b| <= 1e-6 * max |a| (exactly equal when a is all zeros); returns 1 when a is not all zeros. */
    private static int assertClose(String name, double[] want, double[] got) {
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
        }
        assertTrue(diff <= 1e-6 * scale, name + ": max |diff| " + diff + " > 1e-6 * max |grad| " + scale);
        return scale > 0 ? 1 : 0;
    }
}
