package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.AdaptableModule;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.nn.AutocastPolicy.Op;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.LayerAdapter;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.djl.Scalars;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The LoRA adapters of one {@link Linear} or {@link Conv2d}: every active, unfused adapter adds
 * {@code scaling * B(A(x))} to the layer's output (A is a conv with the layer's kernel, stride and padding,
 * B a 1x1 conv, as in PEFT). {@link #fuse} merges them into the weight and keeps the original array, so
 * {@link #unfuse} restores it bit for bit.
 */
public final class LoraLayer implements LayerAdapter {
    private static final String WEIGHT = "weight";
    private final AdaptableModule base;
    private final Map<String, LoraWeights> adapters = new LinkedHashMap<>();
    private final Set<String> fused = new LinkedHashSet<>();
    private NDArray original;

    private LoraLayer(AdaptableModule base) {
        this.base = base;
    }

    /** The layer's LoRA adapter set, attached on first use. */
    static LoraLayer on(AdaptableModule m, String path) {
        if (m.adapter() instanceof LoraLayer l) {
            return l;
        }
        if (m.adapter() != null) {
            throw new LoraException("layer `" + path + "` already carries a non-LoRA adapter "
                    + m.adapter().getClass().getSimpleName());
        }
        checkKind(m, path);
        LoraLayer l = new LoraLayer(m);
        m.setAdapter(l);
        return l;
    }

    /** Throws unless {@code m} is a Linear or Conv2d. */
    static void checkKind(AdaptableModule m, String path) {
        if (!(m instanceof Linear) && !(m instanceof Conv2d)) {
            throw new LoraException("layer `" + path + "` is a " + m.getClass().getSimpleName()
                    + "; LoRA supports Linear and Conv2d");
        }
    }

    /** Adapters by name, in the order they were added. */
    public Map<String, LoraWeights> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    /** Names of the adapters merged into the weight. */
    public Set<String> fused() {
        return Collections.unmodifiableSet(fused);
    }

    /** The shape lora_A must have on {@code m} for rank {@code r}: (r, in) or (r, in, k, k). */
    static Shape shapeA(AdaptableModule m, int r) {
        if (m instanceof Conv2d c) {
            return new Shape(r, c.inChannels, c.kernel, c.kernel);
        }
        return new Shape(r, ((Linear) m).inFeatures);
    }

    /** The shape lora_B must have on {@code m} for rank {@code r}: (out, r) or (out, r, 1, 1). */
    static Shape shapeB(AdaptableModule m, int r) {
        if (m instanceof Conv2d c) {
            return new Shape(c.outChannels, r, 1, 1);
        }
        return new Shape(((Linear) m).outFeatures, r);
    }

    /** Fan-in of lora_A (kaiming init bound 1/sqrt(fanIn)). */
    int fanIn() {
        return Math.toIntExact(shapeA(base, 1).size());
    }

    AdaptableModule base() {
        return base;
    }

    /** The layer's current weight. */
    NDArray weight() {
        return weightOf(base);
    }

    /** {@code m}'s weight; a layer without one yet (model not loaded) fails clearly. */
    static NDArray weightOf(AdaptableModule m) {
        ai.djl.nn.Parameter p = m.ownParameters().get(WEIGHT);
        if (p == null || !p.isInitialized()) {
            throw new LoraException("LoRA needs the model's weights: load or initialise the model first");
        }
        return p.getArray();
    }

    void add(LoraWeights w) {
        if (adapters.containsKey(w.adapter())) {
            throw new LoraException("adapter `" + w.adapter() + "` is already on this layer");
        }
        adapters.put(w.adapter(), w);
    }

    /** Removes and frees adapter {@code name}; detaches from the layer when none is left. */
    void remove(String name) {
        if (fused.contains(name)) {
            throw new LoraException("adapter `" + name + "` is fused into the weights: unfuse before removing it");
        }
        LoraWeights w = adapters.remove(name);
        if (w != null) {
            w.close();
        }
        if (adapters.isEmpty()) {
            base.setAdapter(null);
        }
    }

    @Override
    public NDArray adapt(NDArray x, NDArray y) {
        NDArray out = y;
        for (LoraWeights w : adapters.values()) {
            if (!fused.contains(w.adapter()) && w.scaling() != 0) {
                out = out.add(Scalars.mul(up(down(x, w), w), w.scaling()));
            }
        }
        return out;
    }

    private NDArray down(NDArray x, LoraWeights w) {
        // A and B are the layer's kind of op, so autocast casts them (and x) as it casts the layer
        if (base instanceof Conv2d c) {
            return ai.djl.nn.convolutional.Conv2d.conv2d(Autocast.arg(Op.CONV2D, x), Autocast.arg(Op.CONV2D, w.loraA()),
                    null, new Shape(c.stride, c.stride), new Shape(c.padding, c.padding), new Shape(1, 1), 1)
                    .singletonOrThrow();
        }
        return ai.djl.nn.core.Linear.linear(Autocast.arg(Op.LINEAR, x), Autocast.arg(Op.LINEAR, w.loraA()), null)
                .singletonOrThrow();
    }

    private NDArray up(NDArray h, LoraWeights w) {
        if (base instanceof Conv2d) {
            return ai.djl.nn.convolutional.Conv2d.conv2d(Autocast.arg(Op.CONV2D, h), Autocast.arg(Op.CONV2D, w.loraB()),
                    null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow();
        }
        return ai.djl.nn.core.Linear.linear(Autocast.arg(Op.LINEAR, h), Autocast.arg(Op.LINEAR, w.loraB()), null)
                .singletonOrThrow();
    }

    /**
     * Merges every unfused adapter into the weight: W + factor * scaling * B·A, summed in float32 and cast to
     * the weight's dtype. The weight before the first merge is kept for {@link #unfuse}.
     */
    void fuse(double factor) {
        if (fused.containsAll(adapters.keySet())) {
            return;
        }
        NDArray w = weight();
        NDManager home = w.getManager();
        NDArray merged;
        try (NDManager scope = home.newSubManager()) {
            NDArray acc = scoped(w.toType(DataType.FLOAT32, true), scope);
            for (LoraWeights a : adapters.values()) {
                if (!fused.contains(a.adapter())) {
                    acc = scoped(acc.add(scoped(Scalars.mul(deltaWeight(a, scope), factor * a.scaling()), scope)), scope);
                }
            }
            merged = acc.toType(w.getDataType(), true);
            merged.attach(home);
        }
        if (original == null) {
            original = w.duplicate();
        }
        base.setParam(WEIGHT, merged);
        fused.addAll(adapters.keySet());
    }

    /** Restores the weight saved by the first {@link #fuse}; adapters run unmerged again. */
    void unfuse() {
        if (original == null) {
            return;
        }
        base.setParam(WEIGHT, original);
        original = null;
        fused.clear();
    }

    /** B·A in float32, shaped like the weight. */
    private NDArray deltaWeight(LoraWeights a, NDManager scope) {
        int r = a.rank();
        NDArray b = scoped(a.loraB().toType(DataType.FLOAT32, true), scope).reshape(-1, r);
        NDArray aa = scoped(a.loraA().toType(DataType.FLOAT32, true), scope).reshape(r, -1);
        return scoped(b.matMul(aa), scope).reshape(weight().getShape());
    }

    private static NDArray scoped(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }
}
