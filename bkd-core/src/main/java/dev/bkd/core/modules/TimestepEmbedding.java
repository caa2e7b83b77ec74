package dev.bkd.core.modules;

import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;

/** diffusers' TimestepEmbedding: {@code linear_1}, {@code act}, {@code linear_2}, optional {@code post_act}. */
public final class TimestepEmbedding extends Module {
    private final Linear linear1;
    private final Nonlinearity act;
    private final Linear linear2;
    private final Nonlinearity postAct;

    /**
     * @param outDim width of linear_2's output (diffusers' out_dim; usually timeEmbedDim)
     * @param postActFn activation after linear_2, or null
     */
    public TimestepEmbedding(int inChannels, int timeEmbedDim, String actFn, int outDim, String postActFn) {
        linear1 = child("linear_1", new Linear(inChannels, timeEmbedDim, true));
        act = child("act", new Nonlinearity(actFn, "TimestepEmbedding"));
        linear2 = child("linear_2", new Linear(timeEmbedDim, outDim, true));
        postAct = postActFn == null ? null : child("post_act", new Nonlinearity(postActFn, "TimestepEmbedding"));
    }

    public TimestepEmbedding(int inChannels, int timeEmbedDim, String actFn) {
        this(inChannels, timeEmbedDim, actFn, timeEmbedDim, null);
    }

    public NDArray forward(NDArray x) {
        NDArray h = act.forward(out(linear1, linear1.forward(x)));
        h = out(linear2, linear2.forward(h));
        if (postAct != null) {
            h = postAct.forward(h);
        }
        return out(this, h);
    }
}
