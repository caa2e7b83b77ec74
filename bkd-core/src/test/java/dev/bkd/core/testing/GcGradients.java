package dev.bkd.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks that a model's gradients do not depend on what the GC frees between its forward and backward pass: a
 * tensor made from Java data (DJL backs it with a direct buffer) that autograd saves but whose array was closed
 * reads freed memory in the backward pass. Runs forward/backward twice, the second time with
 * {@link DirectMemoryChurn} in between, and requires bit-identical gradients for every parameter.
 */
public final class GcGradients {
    private GcGradients() {}

    /** {@code loss} runs the forward pass (under recording) and returns a scalar; every parameter of {@code model} trains. */
    public static void assertStable(Module model, NDManager manager, Supplier<NDArray> loss) {
        Weights.setTrainable(model, true);
        Map<String, float[]> quiet = grads(model, manager, loss, false);
        Map<String, float[]> churned = grads(model, manager, loss, true);
        assertEquals(quiet.keySet(), churned.keySet());
        List<String> differ = new ArrayList<>();
        quiet.forEach((k, g) -> {
            if (!Arrays.equals(g, churned.get(k))) {
                differ.add(k);
            }
        });
        assertTrue(quiet.size() > 10, "parameters with gradients: " + quiet.size());
        assertEquals(List.of(), differ, "gradients changed by a GC between forward and backward");
    }

    private static Map<String, float[]> grads(Module model, NDManager manager, Supplier<NDArray> loss, boolean churn) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager s = manager.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.get();
                l.attach(s);
                if (churn) {
                    DirectMemoryChurn.run();
                }
                gc.backward(l);
            }
            for (Map.Entry<String, NDArray> e : Weights.stateDict(model).entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(s);
                out.put(e.getKey(), g.toFloatArray());
                g.subi(g); // zero for the next pass
            }
        }
        return out;
    }
}
