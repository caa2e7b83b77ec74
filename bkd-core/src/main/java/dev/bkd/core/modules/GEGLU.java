package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.bkd.core.nn.Activations;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;

/** diffusers' GEGLU: {@code proj} to 2·inner, split in half, {@code hidden * gelu(gate)} (exact gelu). */
public final class GEGLU extends Module {
    private final Linear proj;

    public GEGLU(int dimIn, int dimOut) {
        proj = child("proj", new Linear(dimIn, dimOut * 2, true));
    }

    public NDArray forward(NDArray x) {
        NDArray y = out(proj, proj.forward(x));
        NDList halves = y.split(2, y.getShape().dimension() - 1); // DJL's split takes no negative axis
        return out(this, halves.get(0).mul(Activations.gelu(halves.get(1))));
    }
}
