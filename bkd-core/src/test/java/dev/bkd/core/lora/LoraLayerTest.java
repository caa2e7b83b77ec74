package dev.bkd.core.lora;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.LoraRef.Term;
import dev.bkd.core.weights.Weights;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LoRA on single layers against plain-Java arithmetic: step 0, random A/B, several adapters, fuse/unfuse, grads. */
class LoraLayerTest {
    static final double TOL = 1e-5;
    static final List<String> ALL = List.of("to_q", "proj_in", "conv");
    NDManager m;
    Block block;
    NDArray x;
    NDArray img;

    /** A Linear, a 1x1 conv and a 3x3 conv under diffusers-like names. */
    static final class Block extends Module {
        final Linear toQ = child("to_q", new Linear(6, 5, true));
        final Conv2d projIn = child("proj_in", new Conv2d(3, 4, 1, 1, 0));
        final Conv2d conv = child("conv", new Conv2d(3, 4, 3, 1, 1));
    }

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
        block = new Block();
        Generator g = new Generator(11);
        Weights.slots(block).values().forEach(s -> s.owner().setParam(s.local(), g.randn(m, s.shape())));
        x = g.randn(m, new Shape(3, 6));
        img = g.randn(m, new Shape(1, 3, 5, 5));
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    static float[] f(NDArray a) {
        return a.toFloatArray();
    }

    private double[] linearRef(Term... t) {
        return LoraRef.linear(f(x), 3, LoraRef.merge(f(block.toQ.ownParameters().get("weight").getArray()), 5, t),
                f(block.toQ.ownParameters().get("bias").getArray()), 5);
    }

    private double[] convRef(Conv2d c, int k, int pad, Term... t) {
        float[] w = LoraRef.merge(f(c.ownParameters().get("weight").getArray()), 4, t);
        return LoraRef.conv(f(img), 3, 5, 5, w, f(c.ownParameters().get("bias").getArray()), 4, k, pad);
    }

    @Test
    void stepZeroIsTheBaseModelAndInitFollowsPeft() {
        NDArray y0 = block.toQ.forward(x);
        NDArray p0 = block.projIn.forward(img);
        NDArray c0 = block.conv.forward(img);
        LoraAdapter ad = Lora.add(block, "default", new LoraConfig(3, 6, ALL), new Generator(5));
        assertEquals(List.of("to_q", "proj_in", "conv"), List.copyOf(ad.layers().keySet()));
        assertEquals(0.0, y0.sub(block.toQ.forward(x)).abs().max().getFloat());
        assertEquals(0.0, p0.sub(block.projIn.forward(img)).abs().max().getFloat());
        assertEquals(0.0, c0.sub(block.conv.forward(img)).abs().max().getFloat());
        // A ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform a=sqrt(5)), B = 0
        Map<String, Integer> fanIn = Map.of("to_q", 6, "proj_in", 3, "conv", 27);
        Map<String, Shape> shapeA = Map.of("to_q", new Shape(3, 6), "proj_in", new Shape(3, 3, 1, 1),
                "conv", new Shape(3, 3, 3, 3));
        for (Map.Entry<String, LoraWeights> e : ad.layers().entrySet()) {
            double bound = 1 / Math.sqrt(fanIn.get(e.getKey()));
            float[] a = f(e.getValue().loraA());
            assertEquals(shapeA.get(e.getKey()), e.getValue().loraA().getShape());
            double max = 0;
            for (float v : a) {
                assertTrue(Math.abs(v) <= bound, e.getKey() + ": " + v + " outside ±" + bound);
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max > 0.6 * bound, "A spans its range");
            for (float v : f(e.getValue().loraB())) {
                assertEquals(0f, v);
            }
        }
        // a seed draws the same A again; another seed does not
        Block other = new Block();
        Weights.slots(block).forEach((k, s) -> Weights.slots(other).get(k).owner().setParam(s.local(),
                s.owner().ownParameters().get(s.local()).getArray().duplicate()));
        LoraAdapter same = Lora.add(other, "default", new LoraConfig(3, 6, ALL), new Generator(5));
        assertArrayEquals(f(ad.layers().get("conv").loraA()), f(same.layers().get("conv").loraA()));
        LoraAdapter diff = Lora.add(other, "b", new LoraConfig(3, 6, ALL), new Generator(6));
        assertFalse(java.util.Arrays.equals(f(ad.layers().get("conv").loraA()), f(diff.layers().get("conv").loraA())));
    }

    @Test
    void randomAdapterMatchesMergedWeightsComputedInDoubles() {
        LoraAdapter ad = Lora.add(block, "default", new LoraConfig(3, 6, ALL), new Generator(5));
        LoraRef.randomize(ad, new Generator(9), 0.5);
        double s = 6.0 / 3;
        double dq = LoraRef.maxAbsDiff(linearRef(LoraRef.term(ad.layers().get("to_q"), s)), f(block.toQ.forward(x)));
        double dp = LoraRef.maxAbsDiff(convRef(block.projIn, 1, 0, LoraRef.term(ad.layers().get("proj_in"), s)),
                f(block.projIn.forward(img)));
        double dc = LoraRef.maxAbsDiff(convRef(block.conv, 3, 1, LoraRef.term(ad.layers().get("conv"), s)),
                f(block.conv.forward(img)));
        System.out.printf("LoRA vs x·(W+s·BA)ᵀ+b: linear %.3g, 1x1 conv %.3g, 3x3 conv %.3g%n", dq, dp, dc);
        assertTrue(dq <= TOL && dp <= TOL && dc <= TOL, dq + " " + dp + " " + dc);
        // and the adapter does change the output: the check above is not vacuous
        assertTrue(LoraRef.maxAbsDiff(linearRef(), f(block.toQ.forward(x))) > 0.1);
    }

    @Test
    void severalAdaptersAddWithTheirOwnScales() {
        LoraAdapter a = Lora.add(block, "a", new LoraConfig(2, 4, ALL), new Generator(1));
        LoraAdapter b = Lora.add(block, "b", new LoraConfig(3, 1.5, List.of("to_q", "conv")), new Generator(2));
        LoraRef.randomize(a, new Generator(3), 0.5);
        LoraRef.randomize(b, new Generator(4), 0.5);
        b.setScale(0.25);
        assertEquals(List.of("a", "b"), Lora.adapterNames(block));
        Term ta = LoraRef.term(a.layers().get("to_q"), 4.0 / 2);
        Term tb = LoraRef.term(b.layers().get("to_q"), 1.5 / 3 * 0.25);
        double d = LoraRef.maxAbsDiff(linearRef(ta, tb), f(block.toQ.forward(x)));
        double dc = LoraRef.maxAbsDiff(convRef(block.conv, 3, 1, LoraRef.term(a.layers().get("conv"), 2.0),
                LoraRef.term(b.layers().get("conv"), 0.125)), f(block.conv.forward(img)));
        double dp = LoraRef.maxAbsDiff(convRef(block.projIn, 1, 0, LoraRef.term(a.layers().get("proj_in"), 2.0)),
                f(block.projIn.forward(img)));
        System.out.printf("two adapters: linear %.3g, conv %.3g, 1x1 (one adapter) %.3g%n", d, dc, dp);
        assertTrue(d <= TOL && dc <= TOL && dp <= TOL);
        b.setScale(0);
        assertTrue(LoraRef.maxAbsDiff(linearRef(ta), f(block.toQ.forward(x))) <= TOL, "scale 0 switches b off");
    }

    @Test
    void fuseMatchesUnfusedAndUnfuseRestoresTheBitsExactly() {
        LoraAdapter a = Lora.add(block, "a", new LoraConfig(2, 4, ALL), new Generator(1));
        LoraAdapter b = Lora.add(block, "b", new LoraConfig(3, 3, ALL), new Generator(2));
        LoraRef.randomize(a, new Generator(3), 0.5);
        LoraRef.randomize(b, new Generator(4), 0.5);
        b.setScale(0.5);
        Map<String, float[]> before = snapshot(block);
        NDArray yq = block.toQ.forward(x);
        NDArray yc = block.conv.forward(img);
        Lora.fuse(block, 1.0);
        assertTrue(Lora.isFused(block));
        assertFalse(java.util.Arrays.equals(before.get("to_q.weight"), f(block.toQ.ownParameters().get("weight")
                .getArray())), "fuse changed the weight");
        double dq = yq.sub(block.toQ.forward(x)).abs().max().getFloat();
        double dc = yc.sub(block.conv.forward(img)).abs().max().getFloat();
        System.out.printf("fused vs unfused: linear %.3g, conv %.3g%n", dq, dc);
        assertTrue(dq <= TOL && dc <= TOL);
        assertThrows(LoraException.class, () -> Lora.remove(block, "a"));
        Lora.unfuse(block);
        assertFalse(Lora.isFused(block));
        Map<String, float[]> after = snapshot(block);
        before.forEach((k, v) -> assertArrayEquals(bits(v), bits(after.get(k)), k + " restored bit for bit"));
        assertEquals(0.0, yq.sub(block.toQ.forward(x)).abs().max().getFloat(), "adapters run unmerged again");
        // a fuse factor scales every merged update, like diffusers' fuse_lora(lora_scale)
        Term ta = LoraRef.term(a.layers().get("to_q"), 2.0 * 0.5);
        Term tb = LoraRef.term(b.layers().get("to_q"), 1.0 * 0.5 * 0.5);
        double[] want = linearRef(ta, tb); // from the base weight, before fusing
        Lora.fuse(block, 0.5);
        double dh = LoraRef.maxAbsDiff(want, f(block.toQ.forward(x)));
        System.out.printf("fused at factor 0.5 vs doubles: %.3g%n", dh);
        assertTrue(dh <= TOL);
        Lora.unfuse(block);
        snapshot(block).forEach((k, v) -> assertArrayEquals(bits(before.get(k)), bits(v), k));
    }

    static Map<String, float[]> snapshot(Module root) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        Weights.stateDict(root).forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Test
    void adaptersLeaveTheStateDictNamesAlone() {
        List<String> keys = List.copyOf(Weights.slots(block).keySet());
        Lora.add(block, "default", new LoraConfig(2, 2, ALL), new Generator(1));
        assertEquals(keys, List.copyOf(Weights.slots(block).keySet()));
        assertEquals(keys, List.copyOf(Weights.stateDict(block).keySet()));
        assertEquals(List.of("to_q.weight", "to_q.bias", "proj_in.weight", "proj_in.bias", "conv.weight", "conv.bias"),
                keys);
        Lora.remove(block, "default");
        assertNull(block.toQ.adapter());
        assertTrue(Lora.adapterNames(block).isEmpty());
    }

    @Test
    void onlyAdapterParametersTrainAndTheyCarryPeftNames() {
        LoraAdapter ad = Lora.add(block, "default", new LoraConfig(2, 2, List.of("to_q")), new Generator(1));
        Weights.setTrainable(block, false);
        ad.setTrainable(true);
        assertEquals(List.of("to_q.lora_A.weight", "to_q.lora_B.weight"), List.copyOf(ad.parameters().keySet()));
        assertEquals(2 * 6 + 5 * 2, ad.parameterCount());
        NDArray w = block.toQ.ownParameters().get("weight").getArray();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(block.toQ.forward(x).square().sum());
        }
        assertFalse(w.hasGradient(), "base weight frozen");
        NDArray ga = ad.parameters().get("to_q.lora_A.weight").getGradient();
        NDArray gb = ad.parameters().get("to_q.lora_B.weight").getGradient();
        assertEquals(0f, ga.abs().max().getFloat(), "dL/dA = 0 while B = 0");
        assertTrue(gb.abs().max().getFloat() > 0, "B learns first");
    }

    @Test
    void badRequestsFailWithLoraException() {
        assertThrows(LoraException.class, () -> new LoraConfig(0, 1, ALL));
        assertThrows(LoraException.class, () -> new LoraConfig(2, 0, ALL));
        assertThrows(LoraException.class, () -> new LoraConfig(2, Double.NaN, ALL));
        assertThrows(LoraException.class, () -> new LoraConfig(2, 2, List.of()));
        LoraException none = assertThrows(LoraException.class,
                () -> Lora.add(block, "x", new LoraConfig(2, 2, List.of("to_k")), new Generator(1)));
        assertTrue(none.getMessage().contains("to_k"), none.getMessage());
        Lora.add(block, "x", new LoraConfig(2, 2, ALL), new Generator(1));
        assertThrows(LoraException.class, () -> Lora.add(block, "x", new LoraConfig(2, 2, ALL), new Generator(1)));
        LoraException unknown = assertThrows(LoraException.class, () -> Lora.adapter(block, "y"));
        assertTrue(unknown.getMessage().contains("[x]"), unknown.getMessage());
        assertThrows(LoraException.class, () -> Lora.fuse(block, Double.POSITIVE_INFINITY));
        assertThrows(LoraException.class, () -> Lora.adapter(block, "x").setScale(Double.NaN));
        Block unloaded = new Block();
        LoraException empty = assertThrows(LoraException.class,
                () -> Lora.add(unloaded, "x", new LoraConfig(2, 2, ALL), new Generator(1)));
        assertTrue(empty.getMessage().contains("load"), empty.getMessage());
        assertNull(unloaded.toQ.adapter(), "nothing attached");
    }
}
