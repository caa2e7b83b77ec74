package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.modules.Attention;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Autocast on the tiny reference UNet against its float32 forward and backward.
 *
 * <p>The bound, derived rather than fitted: under autocast the forward differs from float32 math in two ways. (1) The
 * weights and inputs are rounded to float16; its effect is measured independently, by the float32 forward of a copy
 * whose weights and inputs were rounded to float16 and back ({@code yRounded}). (2) Each float16 op (every Linear,
 * Conv2d and attention) rounds its output to float16, a relative error of at most u = 2^-11 per element. Norms and
 * residual sums keep the layers' gains near 1, and roundings in different layers are independent, so their effect on
 * the output adds like a random walk: relative L2 error at most sqrt(N)·u for N float16 ops on the way. Hence
 * {@code |y_autocast - y_rounded| <= sqrt(N)·u·|y_rounded|} and, by the triangle inequality, {@code |y_autocast - y32|
 * <= sqrt(N)·u·|y_rounded| + |y_rounded - y32|}. The backward rounds each float16 op's incoming gradient once more,
 * so the parameters' gradients (global relative L2) get 2·sqrt(N)·u plus the forward's weight-rounding term.
 */
class AutocastUNetTest {
    /** float16's unit roundoff. */
    private static final double U = Math.scalb(1.0, -11);
    private static final List<String> TAPS = List.of("down_blocks.1", "mid_block", "up_blocks.1.attentions.0.proj_out");

    @Test
    void forwardAndGradientsMatchFloat32WithinFloat16Rounding() {
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            Inputs in = inputs(u, m);
            Map<String, NDArray> params = Weights.stateDict(u);
            NDArray y32;
            Map<String, float[]> g32;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y32 = u.forward(in.x, in.t, in.ctx);
                gc.backward(y32.square().mean());
                g32 = grads(params, m);
            }
            Autograd.zeroGrads(params);
            NDArray yac;
            Map<String, float[]> gac;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                try (Autocast a = Autocast.fp16()) {
                    yac = u.forward(in.x, in.t, in.ctx);
                }
                assertEquals(DataType.FLOAT16, yac.getDataType(), "conv_out computes in float16 under autocast");
                gc.backward(Ops.cast(yac, DataType.FLOAT32).square().mean()); // the loss in float32
                gac = grads(params, m);
            }
            Autograd.zeroGrads(params);
            assertEquals(g32.keySet(), gac.keySet(), "every float32 master weight gets a gradient through the casts");

            double n = float16Ops(u);
            NDArray yRounded;
            Map<String, float[]> gRounded;
            try (NDManager s = m.newSubManager()) {
                Map<String, NDArray> kept = new LinkedHashMap<>();
                params.forEach((k, v) -> kept.put(k, v.duplicate()));
                params.values().forEach(p -> p.set(roundTrip(p).toFloatArray()));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    yRounded = u.forward(roundTrip(in.x), in.t, roundTrip(in.ctx));
                    gc.backward(yRounded.square().mean());
                    gRounded = grads(params, m);
                }
                Autograd.zeroGrads(params);
                params.forEach((k, v) -> v.set(kept.get(k).toFloatArray()));
            }
            NDArray y = yac.toType(DataType.FLOAT32, false);
            double activation = relL2(y, yRounded);
            double weights = relL2(yRounded, y32);
            double total = relL2(y, y32);
            double bound = Math.sqrt(n) * U;
            System.out.printf("autocast UNet forward: rel L2 vs float32 %.3e, vs rounded-weights float32 %.3e"
                    + " (bound sqrt(%d)·u = %.3e), rounded weights vs float32 %.3e%n", total, activation, (int) n, bound,
                    weights);
            assertTrue(activation <= bound, "activation rounding " + activation + " > sqrt(N)·u = " + bound);
            assertTrue(total <= bound + weights, "autocast vs float32 " + total + " > " + (bound + weights));

            double gWeights = globalRel(gRounded, g32);
            double gTotal = globalRel(gac, g32);
            double gBound = 2 * bound + gWeights;
            System.out.printf("autocast UNet gradients: global rel L2 vs float32 %.3e (bound %.3e; rounded weights"
                    + " alone %.3e)%n", gTotal, gBound, gWeights);
            assertTrue(gTotal <= gBound, "gradients " + gTotal + " > " + gBound);
        }
    }

    @Test
    void checkpointingUnderAutocastGivesThePlainAutocastGradients() {
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            Inputs in = inputs(u, m);
            Map<String, NDArray> params = Weights.stateDict(u);
            Map<String, float[]> plain;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                UNet2DConditionModel.Output o;
                try (Autocast a = Autocast.fp16()) {
                    o = u.forward(in.x, in.t, in.ctx, TAPS);
                }
                gc.backward(loss(o));
                plain = grads(params, m);
            }
            Autograd.zeroGrads(params);
            Map<String, float[]> ckpt;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Segments.Result r;
                try (Autocast a = Autocast.fp16()) {
                    r = u.forwardCheckpointed(in.x, in.t, in.ctx, TAPS);
                }
                assertEquals(DataType.FLOAT16, r.output().sample().getDataType());
                gc.backward(loss(r.output()));
                r.backward().backward(); // outside the context: the replay must restore it itself
                ckpt = grads(params, m);
            }
            Autograd.zeroGrads(params);
            assertEquals(plain.keySet(), ckpt.keySet());
            // The replays repeat the forward's ops on the same inputs (the outputs are bit-identical), so what differs
            // is the order in which a segment output's incoming gradients are summed: the next block, the skip
            // connection, a tap, each a separate product here and one autograd sum in the plain backward. Those sums
            // are float16, so each boundary perturbs the gradient flowing upstream by ~2u (two roundings of a 3-term
            // sum in another order); S independent boundaries add like a random walk: sqrt(S)·2u overall.
            double worst = 0;
            for (String k : plain.keySet()) {
                worst = Math.max(worst, relL2(ckpt.get(k), plain.get(k)));
            }
            double global = globalRel(ckpt, plain);
            System.out.printf("autocast + checkpointing vs autocast: global rel %.3e, worst tensor %.3e%n", global,
                    worst);
            // (in float32 the same reordering stays near 1e-6 of the largest entry: GradientCheckpointingTest)
            int segments = 2 * u.config().numBlocks() + 3; // stem, down blocks, mid, up blocks, head
            double bound = Math.sqrt(segments) * 2 * U;
            assertTrue(global <= bound, "checkpointed gradients differ by " + global + " > sqrt(S)·2u = " + bound);
        }
    }

    @Test
    void loraAdaptersTrainUnderAutocast() {
        try (NDManager m = NDManager.newBaseManager(); UNet2DConditionModel u = unet(m)) {
            Weights.setTrainable(u, false);
            LoraAdapter ad = Lora.add(u, "default", LoraConfig.unet(4, 4), new Generator(5));
            ad.setTrainable(true);
            // non-zero B (PEFT starts it at zero), so A gets a gradient too
            Generator g = new Generator(9);
            ad.parameters().forEach((k, p) -> {
                if (k.endsWith(LoraAdapter.B_SUFFIX)) {
                    p.set(Ops.cast(g.randn(m, p.getShape()), DataType.FLOAT32).mul(m.create(0.1f)).toFloatArray());
                }
            });
            Inputs in = inputs(u, m);
            Map<String, NDArray> params = ad.parameters();
            Map<String, float[]> g32;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(u.forward(in.x, in.t, in.ctx).square().mean());
                g32 = grads(params, m);
            }
            Autograd.zeroGrads(params);
            Map<String, float[]> gac;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y;
                try (Autocast a = Autocast.fp16()) {
                    y = u.forward(in.x, in.t, in.ctx);
                }
                gc.backward(Ops.cast(y, DataType.FLOAT32).square().mean());
                gac = grads(params, m);
            }
            Autograd.zeroGrads(params);
            assertEquals(params.keySet(), gac.keySet(), "every lora_A and lora_B gets a gradient");
            assertEquals(params.keySet(), g32.keySet());
            // the full UNet's argument: 2·sqrt(N)·u for rounding activations and gradients, and as much again for
            // rounding the N float16 ops' weights and inputs (measured separately there; not re-measured here)
            double rel = globalRel(gac, g32);
            double bound = 4 * Math.sqrt(float16Ops(u)) * U;
            System.out.printf("autocast LoRA gradients: global rel L2 vs float32 %.3e (bound %.3e)%n", rel, bound);
            assertTrue(rel <= bound, "LoRA gradients " + rel + " > " + bound);
        }
    }

    private record Inputs(NDArray x, NDArray t, NDArray ctx) {}

    private static UNet2DConditionModel unet(NDManager m) {
        UNet2DConditionModel u = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"), m,
                UNet2DConditionModel.Options.defaults());
        Weights.setTrainable(u, true);
        return u;
    }

    private static Inputs inputs(UNet2DConditionModel u, NDManager m) {
        UNet2DConditionConfig c = u.config();
        Generator g = new Generator(11);
        return new Inputs(g.randn(m, new Shape(2, c.inChannels(), 8, 8)), g.randint(m, 0, 1000, new Shape(2)),
                g.randn(m, new Shape(2, 7, c.crossAttentionDim().get(0))));
    }

    /** Ops that compute in float16 under autocast and round their output: Linear, Conv2d and attention. */
    static int float16Ops(Block b) {
        int n = b instanceof Linear || b instanceof Conv2d || b instanceof Attention ? 1 : 0;
        if (b instanceof Module mod) {
            for (Block c : mod.childMap().values()) {
                n += float16Ops(c);
            }
        }
        return n;
    }

    private static NDArray loss(UNet2DConditionModel.Output o) {
        NDArray l = Ops.cast(o.sample(), DataType.FLOAT32).square().mean();
        for (NDArray f : o.features().values()) {
            l = l.add(Ops.cast(f, DataType.FLOAT32).square().mean());
        }
        return l;
    }

    private static NDArray roundTrip(NDArray a) {
        return a.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
    }

    private static double relL2(NDArray a, NDArray ref) {
        return relL2(a.toFloatArray(), ref.toFloatArray());
    }

    private static double relL2(float[] a, float[] ref) {
        double d = 0;
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - (double) ref[i]) * (a[i] - (double) ref[i]);
            s += ref[i] * (double) ref[i];
        }
        return s == 0 ? Math.sqrt(d) : Math.sqrt(d / s);
    }

    /** Relative L2 distance of all gradients taken together; each must be finite. */
    private static double globalRel(Map<String, float[]> got, Map<String, float[]> want) {
        double d = 0;
        double s = 0;
        for (Map.Entry<String, float[]> e : want.entrySet()) {
            float[] a = got.get(e.getKey());
            float[] b = e.getValue();
            for (int i = 0; i < b.length; i++) {
                assertTrue(Float.isFinite(a[i]), e.getKey() + " has a non-finite gradient");
                d += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
                s += b[i] * (double) b[i];
            }
        }
        return Math.sqrt(d / s);
    }

    private static Map<String, float[]> grads(Map<String, NDArray> params, NDManager m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Autograd.grads(params, m).forEach((k, v) -> {
            assertEquals(DataType.FLOAT32, v.getDataType(), k + ": the master weight's gradient is float32");
            out.put(k, v.toFloatArray());
        });
        return out;
    }
}
