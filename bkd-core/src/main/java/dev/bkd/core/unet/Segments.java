package dev.bkd.core.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.bkd.core.djl.Autograd;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.nn.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Gradient checkpointing (torch.utils.checkpoint per block, as diffusers' {@code enable_gradient_checkpointing}) on
 * DJL, which has neither checkpoint nor custom autograd functions. The forward runs every segment without a graph
 * and keeps only the segments' inputs and outputs; the caller gets the output and the feature taps as fresh leaves,
 * computes its loss and runs its backward (which stops at those leaves); {@link #backward()} then walks the segments
 * in reverse, re-runs each with a graph from leaf copies of its saved inputs and back-propagates its outputs'
 * accumulated gradients with an explicit vector-Jacobian product ({@code JniUtils.backward(out, grad)}). Parameter
 * gradients accumulate across those calls exactly as in one big backward; only one segment's graph is alive at a
 * time, which is the memory saved.
 */
public final class Segments implements AutoCloseable {
    /** Runs one segment: {@code fn} maps the segment's inputs to its outputs. */
    @FunctionalInterface
    interface Runner {
        List<NDArray> run(Function<List<NDArray>, List<NDArray>> fn, List<NDArray> inputs);
    }

    /**
     * One recorded segment: its function, the arrays it read and produced, the taps recorded inside, and the
     * autocast state it ran under (the replay re-enters it, as torch.utils.checkpoint restores autocast, so the
     * recomputation casts exactly as the forward did even though the backward runs outside the caller's context).
     */
    private record Segment(Function<List<NDArray>, List<NDArray>> fn, List<NDArray> inputs, List<NDArray> outputs,
                           List<String> taps, Autocast.State autocast) {}

    private final Module root;
    private final NDManager keep;
    private final List<Segment> segments = new ArrayList<>();
    /** Arrays some segment produced (their gradients flow on to that segment, not out of the forward). */
    private final Set<NDArray> produced = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<NDArray, NDArray> leafOf = new IdentityHashMap<>();
    private final Map<String, NDArray> tapLeaves = new LinkedHashMap<>();
    private NDArray outputLeaf;
    private NDArray output;
    private boolean done;

    private Segments(Module root, NDManager keep) {
        this.root = root;
        this.keep = keep;
    }

    /** The result of a checkpointed forward: the output and taps as leaves, and the deferred backward. */
    public record Result(UNet2DConditionModel.Output output, Segments backward) {}

    /**
     * Runs {@code model}'s forward checkpointed. Call {@link #backward()} once after the backward of a loss built
     * from the returned output and features (also when nothing reached them: it then only frees).
     */
    static Result forward(UNet2DConditionModel model, NDArray sample, NDArray timestep, NDArray context,
                          List<String> taps) {
        NDManager caller = sample.getManager();
        Segments s = new Segments(model, caller.newSubManager());
        try (Taps t = taps.isEmpty() ? null : Taps.open(model, taps, "UNet2DConditionModel")) {
            NDArray y = model.run(sample, timestep, context, (fn, in) -> s.record(fn, in, t));
            s.output = y;
            s.outputLeaf = leaf(y, caller);
            Map<String, NDArray> features = new LinkedHashMap<>();
            if (t != null) {
                for (Map.Entry<String, NDArray> e : t.results().entrySet()) {
                    NDArray l = leaf(e.getValue(), caller);
                    s.tapLeaves.put(e.getKey(), l);
                    features.put(e.getKey(), l);
                }
            }
            return new Result(new UNet2DConditionModel.Output(s.outputLeaf, features), s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The no-graph forward of one segment; keeps its outputs and the taps recorded in it. */
    private List<NDArray> record(Function<List<NDArray>, List<NDArray>> fn, List<NDArray> inputs, Taps t) {
        int before = t == null ? 0 : t.recorded().size();
        try (NDScope scope = new NDScope(); Autograd.NoGrad ng = Autograd.noGrad()) {
            scope.suppressNotUsedWarning();
            List<NDArray> outs = fn.apply(inputs);
            outs.forEach(this::hold);
            List<String> taps = new ArrayList<>();
            if (t != null) {
                List<Map.Entry<String, NDArray>> rec = new ArrayList<>(t.recorded().entrySet());
                for (Map.Entry<String, NDArray> e : rec.subList(before, rec.size())) {
                    hold(e.getValue());
                    taps.add(e.getKey());
                }
            }
            produced.addAll(outs);
            segments.add(new Segment(fn, List.copyOf(inputs), List.copyOf(outs), taps, Autocast.current()));
            return outs;
        }
    }

    private void hold(NDArray a) {
        NDScope.unregister(a);
        a.attach(keep);
    }

    /** A leaf that shares {@code a}'s storage and records its own gradient. */
    private static NDArray leaf(NDArray a, NDManager m) {
        NDArray l = a.stopGradient();
        NDScope.unregister(l);
        l.attach(m);
        l.setRequiresGradient(true);
        return l;
    }

    /** Whether {@code a} is a leaf that records its gradient (the forward's own inputs, our leaf copies). */
    private static boolean recordsGradient(NDArray a) {
        return JniUtils.requiresGrad((PtNDArray) a);
    }

    /**
     * The vector-Jacobian product {@code grad} through {@code out}'s graph into whatever it depends on. An output
     * that depends on nothing recording gradients (a LoRA run's frozen stem) has no graph: libtorch refuses it,
     * and there is nothing to do. (Asking first does not work through DJL: its requires_grad read says false for
     * results of recorded ops and its grad_fn read crashes the JVM on tensors without one.)
     */
    private static void vjp(NDArray out, NDArray grad, boolean keepGraph) {
        try {
            JniUtils.backward((PtNDArray) out, (PtNDArray) grad, keepGraph, false);
        } catch (ai.djl.engine.EngineException e) {
            if (e.getMessage() == null || !e.getMessage().contains("does not require grad")) {
                throw e;
            }
        }
    }

    /** The gradient a backward left on {@code leaf} (an alias of its .grad), or null. */
    private static NDArray gradOf(NDArray leaf) {
        return JniUtils.getGradient((PtNDArray) leaf);
    }

    /**
     * Back-propagates through every segment, in reverse, the gradients the caller's backward left on the output
     * and feature leaves; parameter gradients accumulate, and inputs of the forward that record gradients (a
     * trained text encoder's states) get theirs. Must run with gradients recorded (inside the training step).
     */
    public void backward() {
        if (done) {
            throw new IllegalStateException("the checkpointed backward already ran for this forward");
        }
        done = true;
        boolean mode = JniUtils.isGradMode();
        JniUtils.setGradMode(true); // the replays must record their graphs whatever the caller's mode
        try {
            Map<NDArray, NDArray> pending = new IdentityHashMap<>();
            addTo(pending, output, gradOf(outputLeaf));
            Map<String, NDArray> tapGrads = new LinkedHashMap<>();
            tapLeaves.forEach((p, l) -> {
                NDArray g = gradOf(l);
                if (g != null) {
                    tapGrads.put(p, hold2(g));
                }
            });
            for (int i = segments.size() - 1; i >= 0; i--) {
                replay(segments.get(i), pending, tapGrads);
            }
            // gradients for the forward's own inputs that record them (never sample/timestep data in practice)
            for (Map.Entry<NDArray, NDArray> e : pending.entrySet()) {
                if (!produced.contains(e.getKey()) && recordsGradient(e.getKey())) {
                    vjp(e.getKey(), e.getValue(), false);
                }
            }
        } finally {
            JniUtils.setGradMode(mode);
            close();
        }
    }

    private NDArray hold2(NDArray g) {
        NDScope.unregister(g);
        g.attach(keep);
        return g;
    }

    /** Adds {@code g} to the pending gradient of {@code a} (a new array: {@code g} may alias a leaf's .grad). */
    private void addTo(Map<NDArray, NDArray> pending, NDArray a, NDArray g) {
        if (g == null) {
            return;
        }
        hold2(g);
        NDArray prev = pending.get(a);
        if (prev == null) {
            pending.put(a, g);
        } else {
            pending.put(a, hold2(prev.add(g)));
            prev.close();
            g.close();
        }
    }

    private void replay(Segment seg, Map<NDArray, NDArray> pending, Map<String, NDArray> tapGrads) {
        boolean any = seg.taps().stream().anyMatch(tapGrads::containsKey)
                || seg.outputs().stream().anyMatch(pending::containsKey);
        if (!any) {
            return;
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> leaves = new ArrayList<>();
            for (NDArray in : seg.inputs()) {
                boolean grads = produced.contains(in) || recordsGradient(in);
                leaves.add(grads ? leaf(in, keep) : in);
            }
            List<String> want = seg.taps().stream().filter(tapGrads::containsKey).toList();
            List<NDArray> outs;
            Map<String, NDArray> taps = Map.of();
            try (Taps t = want.isEmpty() ? null : Taps.open(root, want, "UNet2DConditionModel");
                 Autocast ac = Autocast.enter(seg.autocast())) {
                outs = seg.fn().apply(leaves);
                if (t != null) {
                    taps = t.results();
                }
            }
            // upstream gradient per distinct recomputed array (a block's hidden is also its last skip state)
            Map<NDArray, NDArray> upstream = new IdentityHashMap<>();
            for (int j = 0; j < outs.size(); j++) {
                NDArray g = pending.get(seg.outputs().get(j));
                if (g != null) {
                    upstream.putIfAbsent(outs.get(j), g);
                }
            }
            for (String p : want) {
                upstream.merge(taps.get(p), tapGrads.get(p), NDArray::add);
            }
            List<Map.Entry<NDArray, NDArray>> todo = new ArrayList<>(upstream.entrySet());
            for (int j = 0; j < todo.size(); j++) {
                // keep the segment's graph for all but the last product
                vjp(todo.get(j).getKey(), todo.get(j).getValue(), j < todo.size() - 1);
            }
            for (int j = 0; j < leaves.size(); j++) {
                NDArray in = seg.inputs().get(j);
                if (leaves.get(j) != in) {
                    addTo(pending, in, gradOf(leaves.get(j)));
                    leaves.get(j).close();
                }
            }
            for (NDArray o : seg.outputs()) {
                NDArray g = pending.remove(o);
                if (g != null) {
                    g.close();
                }
            }
        }
    }

    /** Frees the kept activations and pending gradients (also when {@link #backward()} never ran). */
    @Override
    public void close() {
        keep.close();
    }
}
