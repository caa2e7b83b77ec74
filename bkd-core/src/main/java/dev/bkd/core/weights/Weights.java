package dev.bkd.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.bkd.core.nn.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Binds PyTorch-named tensors to a block tree. A parameter's name is the path of child names from the
 * root plus its own name ({@code down_blocks.0.resnets.1.norm1.weight}), exactly the diffusers key.
 */
public final class Weights {
    private Weights() {}

    /** One parameter slot in the tree. */
    public record Slot(Module owner, String local, Shape shape) {}

    /** Every parameter slot under {@code root}, by dotted name, in tree order. */
    public static Map<String, Slot> slots(Module root) {
        Map<String, Slot> out = new LinkedHashMap<>();
        walk(root, "", out);
        return out;
    }

    private static void walk(Block block, String prefix, Map<String, Slot> out) {
        if (!(block instanceof Module m)) {
            throw new IllegalArgumentException("block at `" + prefix + "` is a " + block.getClass().getName()
                    + ", not a bkd Module: its parameters have no state-dict names");
        }
        for (Map.Entry<String, Shape> e : m.declaredShapes().entrySet()) {
            out.put(prefix + e.getKey(), new Slot(m, e.getKey(), e.getValue()));
        }
        for (Pair<String, Block> c : m.getChildren()) {
            walk(c.getValue(), prefix + c.getKey() + ".", out);
        }
    }

    /** Options for {@link #load}. */
    public record LoadOptions(boolean strict, DataType dtype, Predicate<String> ignoreUnexpected) {
        public static LoadOptions strictFp32() {
            return new LoadOptions(true, DataType.FLOAT32, k -> false);
        }

        public LoadOptions nonStrict() {
            return new LoadOptions(false, dtype, ignoreUnexpected);
        }

        public LoadOptions withDtype(DataType d) {
            return new LoadOptions(strict, d, ignoreUnexpected);
        }

        public LoadOptions ignoring(Predicate<String> p) {
            return new LoadOptions(strict, dtype, ignoreUnexpected.or(p));
        }
    }

    /**
     * Loads {@code weights} into {@code root}. Nothing is assigned unless every check passes when strict;
     * a strict load throws one {@link WeightLoadException} naming every missing, unexpected and
     * mis-shaped key. Arrays are created in {@code manager} and cast to {@code options.dtype()}.
     */
    public static LoadReport load(Module root, StateDict weights, NDManager manager, LoadOptions options, String source) {
        Map<String, Slot> slots = slots(root);
        LoadReport report = compare(slots, weights, options);
        if (options.strict() && !report.clean()) {
            throw new WeightLoadException(source, report);
        }
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            String k = e.getKey();
            if (!weights.contains(k) || !weights.spec(k).shape().equals(e.getValue().shape())) {
                continue;
            }
            NDArray a = weights.load(k, manager);
            if (a.getDataType() != options.dtype()) {
                NDArray cast = a.toType(options.dtype(), false);
                a.close();
                a = cast;
            }
            e.getValue().owner().setParam(e.getValue().local(), a);
        }
        return report;
    }

    /**
     * What {@link #load} would report, without loading anything: the weights' keys and shapes against the model
     * {@code root} built from its config (e.g. for {@code bkd inspect}, to flag weights that disagree with it).
     */
    public static LoadReport compare(Module root, StateDict weights, LoadOptions options) {
        return compare(slots(root), weights, options);
    }

    private static LoadReport compare(Map<String, Slot> slots, StateDict weights, LoadOptions options) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Slot> e : slots.entrySet()) {
            if (!weights.contains(e.getKey())) {
                missing.add(e.getKey());
            } else {
                Shape have = weights.spec(e.getKey()).shape();
                if (!have.equals(e.getValue().shape())) {
                    mismatched.add(e.getKey() + ": weights have " + have + ", the model needs " + e.getValue().shape());
                }
            }
        }
        for (String k : weights.keys()) {
            if (!slots.containsKey(k) && !options.ignoreUnexpected().test(k)) {
                unexpected.add(k);
            }
        }
        return new LoadReport(List.copyOf(missing), List.copyOf(unexpected), List.copyOf(mismatched));
    }

    /** The tree's current tensors by dotted name (views of the live parameters, not copies). */
    public static Map<String, NDArray> stateDict(Module root) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Slot> e : slots(root).entrySet()) {
            Parameter p = e.getValue().owner().ownParameters().get(e.getValue().local());
            if (p == null || !p.isInitialized()) {
                throw new IllegalStateException("parameter " + e.getKey() + " has no value yet");
            }
            out.put(e.getKey(), p.getArray());
        }
        return out;
    }

    /** Writes the tree's tensors to a safetensors file under their state-dict names (atomically). */
    public static void save(Module root, java.nio.file.Path file) {
        dev.bkd.core.safetensors.SafetensorsWriter.write(file, stateDict(root));
    }

    /** Number of scalar parameters declared under {@code root} (no values needed). */
    public static long parameterCount(Module root) {
        long n = 0;
        for (Slot s : slots(root).values()) {
            n += s.shape().size();
        }
        return n;
    }

    /** Marks every parameter under {@code root} trainable (gradients recorded) or frozen. */
    public static void setTrainable(Module root, boolean trainable) {
        for (Slot s : slots(root).values()) {
            Parameter p = s.owner().ownParameters().get(s.local());
            if (p != null) {
                p.freeze(!trainable);
            }
        }
    }
}
