package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.unet.Segments;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.util.List;

/**
 * The trained UNet's forward as every UNet objective runs it: plain, or with gradient checkpointing, in which case
 * {@link #afterBackward()} must run after the loss backward (the loop does it through {@link LossTerms#after}).
 */
public record UNetPass(UNet2DConditionModel.Output output, Runnable afterBackward) {
    /** One forward of {@code unet}; {@code checkpointing} recomputes each block in the backward. */
    public static UNetPass run(UNet2DConditionModel unet, NDArray sample, NDArray timesteps, NDArray context,
                               List<String> taps, boolean checkpointing) {
        if (!checkpointing) {
            return new UNetPass(unet.forward(sample, timesteps, context, taps), null);
        }
        Segments.Result r = unet.forwardCheckpointed(sample, timesteps, context, taps);
        return new UNetPass(r.output(), r.backward()::backward);
    }

    /** {@code terms} with this pass's replay attached. */
    public LossTerms attach(LossTerms terms) {
        return afterBackward == null ? terms : terms.after(afterBackward);
    }
}
