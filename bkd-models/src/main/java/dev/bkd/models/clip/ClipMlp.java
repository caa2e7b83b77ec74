package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Activations;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import java.util.function.UnaryOperator;

/** transformers CLIPMLP: fc1, hidden_act, fc2. */
public final class ClipMlp extends Module {
    final Linear fc1;
    final Linear fc2;
    private final UnaryOperator<NDArray> act;

    public ClipMlp(ClipLayerSpec spec) {
        fc1 = child("fc1", new Linear(spec.hiddenSize(), spec.intermediateSize(), true));
        fc2 = child("fc2", new Linear(spec.intermediateSize(), spec.hiddenSize(), true));
        act = Activations.byName(spec.hiddenAct(), spec.configLabel() + ": field `hidden_act`");
    }

    public NDArray forward(NDArray x) {
        return fc2.forward(act.apply(fc1.forward(x)));
    }
}
