package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;

/**
 * diffusers' FeedForward with {@code activation_fn="geglu"}: {@code net.0} GEGLU (dim -> 2·inner),
 * {@code net.1} dropout (no weights, identity here), {@code net.2} Linear(inner -> dim).
 */
public final class FeedForward extends Module {
    private final GEGLU act;
    private final Linear proj;

    public FeedForward(int dim, int innerDim) {
        Net net = child("net", new Net());
        act = net.put("0", new GEGLU(dim, innerDim));
        proj = net.put("2", new Linear(innerDim, dim, true));
    }

    public NDArray forward(NDArray x) {
        return out(this, out(proj, proj.forward(act.forward(x))));
    }

    /** torch's nn.ModuleList with a weightless gap at index 1 (the dropout). */
    static final class Net extends Module {
        <M extends Module> M put(String name, M m) {
            return child(name, m);
        }
    }
}
