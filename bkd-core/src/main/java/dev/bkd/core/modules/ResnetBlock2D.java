package dev.bkd.core.modules;

import dev.bkd.core.djl.Scalars;
import static dev.bkd.core.modules.Taps.out;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.Activations;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.GroupNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import java.util.function.UnaryOperator;

/**
 * diffusers' ResnetBlock2D with {@code time_embedding_norm="default"} and pre-norm:
 * {@code (shortcut(x) + conv2(act(norm2(conv1(act(norm1(x))) + proj(act(temb)))))) / output_scale_factor}.
 * Dropout sits before conv2 in diffusers and is an identity here (inference, and dropout 0 in SD training).
 */
public final class ResnetBlock2D extends Module {
    public final int inChannels;
    public final int outChannels;
    public final double outputScaleFactor;

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final UnaryOperator<NDArray> act;

    /**
     * @param tembChannels width of the time embedding, or 0 for none (the VAE)
     * @param groups GroupNorm groups of both norms
     * @param actFn diffusers activation name (silu/swish/gelu)
     */
    public ResnetBlock2D(int inChannels, int outChannels, int tembChannels, int groups, float eps, String actFn,
            double outputScaleFactor) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.outputScaleFactor = outputScaleFactor;
        this.act = Activations.byName(actFn, "ResnetBlock2D");
        norm1 = child("norm1", new GroupNorm(groups, inChannels, eps));
        conv1 = child("conv1", new Conv2d(inChannels, outChannels, 3, 1, 1));
        timeEmbProj = tembChannels > 0 ? child("time_emb_proj", new Linear(tembChannels, outChannels, true)) : null;
        norm2 = child("norm2", new GroupNorm(groups, outChannels, eps));
        conv2 = child("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1));
        convShortcut = inChannels != outChannels
                ? child("conv_shortcut", new Conv2d(inChannels, outChannels, 1, 1, 0))
                : null;
    }

    /** @param temb time embedding (B, temb_channels), or null */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = act.apply(out(norm1, norm1.forward(x)));
        h = out(conv1, conv1.forward(h));
        if (timeEmbProj != null && temb != null) {
            NDArray t = out(timeEmbProj, timeEmbProj.forward(act.apply(temb)));
            h = h.add(t.reshape(t.getShape().get(0), t.getShape().get(1), 1, 1));
        }
        h = act.apply(out(norm2, norm2.forward(h)));
        h = out(conv2, conv2.forward(h));
        NDArray shortcut = convShortcut == null ? x : out(convShortcut, convShortcut.forward(x));
        NDArray y = shortcut.add(h);
        if (outputScaleFactor != 1.0) {
            y = Scalars.div(y, outputScaleFactor);
        }
        return out(this, y);
    }
}
