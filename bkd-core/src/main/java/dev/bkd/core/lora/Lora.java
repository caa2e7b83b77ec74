package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.nn.AdaptableModule;
import dev.bkd.core.nn.Module;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.Weights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA on a model tree: adds, finds, fuses and removes named adapters. Adapters live on the layers
 * ({@link LoraLayer}), never among the model's parameters, so the base state dict is unchanged.
 */
public final class Lora {
    /** PEFT's adapter name when none is given. */
    public static final String DEFAULT_ADAPTER = "default";

    private Lora() {}

    /**
     * Adds adapter {@code name} on every layer {@code config} targets, initialised like PEFT: A
     * kaiming-uniform (a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))) drawn from {@code generator} in
     * tree order, B zero, so the model's output is unchanged until B is trained. A and B take the layer
     * weight's dtype and manager and start frozen (see {@link LoraAdapter#setTrainable}).
     */
    public static LoraAdapter add(Module root, String name, LoraConfig config, Generator generator) {
        checkNewName(root, name);
        Map<String, AdaptableModule> targets = new LinkedHashMap<>();
        adaptable(root).forEach((path, m) -> {
            if (config.targets(path)) {
                targets.put(path, m);
            }
        });
        if (targets.isEmpty()) {
            throw new LoraException("no Linear or Conv2d layer matches the LoRA targets " + config.targets());
        }
        targets.forEach((path, m) -> {
            LoraLayer.checkKind(m, path);
            LoraLayer.weightOf(m); // all checked before any layer changes
        });
        for (Map.Entry<String, AdaptableModule> e : targets.entrySet()) {
            LoraLayer layer = LoraLayer.on(e.getValue(), e.getKey());
            NDArray w = layer.weight();
            Shape shapeA = LoraLayer.shapeA(layer.base(), config.rank());
            NDArray a = kaimingUniform(generator, w.getManager(), shapeA, layer.fanIn(), w.getDataType());
            NDArray b = w.getManager().zeros(LoraLayer.shapeB(layer.base(), config.rank()), w.getDataType());
            layer.add(new LoraWeights(name, a, b, config.alpha()));
        }
        return adapter(root, name);
    }

    /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)), torch's kaiming_uniform_(a=sqrt(5)) bound, row-major draw order. */
    static NDArray kaimingUniform(Generator g, NDManager manager, Shape shape, int fanIn, DataType dtype) {
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (-bound + 2 * bound * g.nextDouble());
        }
        NDArray a = manager.create(v, shape);
        if (dtype == DataType.FLOAT32) {
            return a;
        }
        NDArray cast = a.toType(dtype, false);
        a.close();
        return cast;
    }

    /** Adapter {@code name}; throws {@link LoraException} when the model has none by that name. */
    public static LoraAdapter adapter(Module root, String name) {
        Map<String, LoraWeights> found = new LinkedHashMap<>();
        layers(root).forEach((path, l) -> {
            LoraWeights w = l.adapters().get(name);
            if (w != null) {
                found.put(path, w);
            }
        });
        if (found.isEmpty()) {
            throw new LoraException("no LoRA adapter `" + name + "` on this model (it has " + adapterNames(root) + ")");
        }
        return new LoraAdapter(name, found);
    }

    /** Names of the adapters on the model, in the order they were added. */
    public static List<String> adapterNames(Module root) {
        Set<String> names = new LinkedHashSet<>();
        for (LoraLayer l : layers(root).values()) {
            names.addAll(l.adapters().keySet());
        }
        return new ArrayList<>(names);
    }

    /** The layers that carry LoRA, by dotted path. */
    public static Map<String, LoraLayer> layers(Module root) {
        Map<String, LoraLayer> out = new LinkedHashMap<>();
        adaptable(root).forEach((path, m) -> {
            if (m.adapter() instanceof LoraLayer l) {
                out.put(path, l);
            }
        });
        return out;
    }

    /** Every Linear/Conv2d of the model by dotted path (the state-dict key without {@code .weight}). */
    public static Map<String, AdaptableModule> adaptable(Module root) {
        Map<String, AdaptableModule> out = new LinkedHashMap<>();
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(root).entrySet()) {
            Weights.Slot s = e.getValue();
            if (s.owner() instanceof AdaptableModule m && s.local().equals("weight")) {
                String key = e.getKey();
                out.put(key.substring(0, Math.max(0, key.length() - ".weight".length())), m);
            }
        }
        return out;
    }

    /** Merges every unfused adapter, its scaling times {@code factor}, into the base weights. */
    public static void fuse(Module root, double factor) {
        if (!Double.isFinite(factor)) {
            throw new LoraException("LoRA fuse factor must be finite, got " + factor);
        }
        for (LoraLayer l : layers(root).values()) {
            l.fuse(factor);
        }
    }

    /** Restores the base weights exactly as they were before {@link #fuse}. */
    public static void unfuse(Module root) {
        for (LoraLayer l : layers(root).values()) {
            l.unfuse();
        }
    }

    /** True when some layer has merged adapters. */
    public static boolean isFused(Module root) {
        return layers(root).values().stream().anyMatch(l -> !l.fused().isEmpty());
    }

    /** Removes adapter {@code name} and frees its tensors (unfuse first). */
    public static void remove(Module root, String name) {
        adapter(root, name); // fails clearly when absent
        if (isFused(root)) {
            throw new LoraException("the model has fused LoRA weights: unfuse before removing adapter `" + name + "`");
        }
        for (LoraLayer l : layers(root).values()) {
            if (l.adapters().containsKey(name)) {
                l.remove(name);
            }
        }
    }

    static void checkNewName(Module root, String name) {
        if (name == null || name.isBlank()) {
            throw new LoraException("a LoRA adapter needs a name");
        }
        if (adapterNames(root).contains(name)) {
            throw new LoraException("the model already has a LoRA adapter `" + name + "`");
        }
    }
}
