package dev.bkd.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * A layer that can carry a {@link LayerAdapter}. The adapter is not a child block: the layer's state-dict
 * names, {@code Weights.slots} and saved files stay exactly those of the plain layer.
 */
public abstract class AdaptableModule extends Module {
    private LayerAdapter adapter;

    /** The attached adapter, or null. */
    public final LayerAdapter adapter() {
        return adapter;
    }

    /** Attaches {@code a} (null detaches). */
    public final void setAdapter(LayerAdapter a) {
        this.adapter = a;
    }

    /** {@code output} as the adapter corrects it (unchanged without one). */
    protected final NDArray adapted(NDArray input, NDArray output) {
        return adapter == null ? output : adapter.adapt(input, output);
    }
}
