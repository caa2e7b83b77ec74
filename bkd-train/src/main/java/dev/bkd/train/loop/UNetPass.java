package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.nn.Autocast;
import dev.bkd.core.ops.Ops;
import dev.bkd.core.unet.Segments;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trained UNet's forward as every UNet objective runs it: plain, or with gradient checkpointing, in which case
 * {@link #afterBackward()} must run after the loss backward (the loop does it through {@link LossTerms#after}); and
 * in float32 math or under float16 {@link Autocast} (--mixed-precision fp16).
 */
public record UNetPass(UNet2DConditionModel.Output output, Runnable afterBackward) {
    /** One forward of {@code unet} in float32; {@code checkpointing} recomputes each block in the backward. */
    public static UNetPass run(UNet2DConditionModel unet, NDArray sample, NDArray timesteps, NDArray context,
                               List<String> taps, boolean checkpointing) {
        return run(unet, sample, timesteps, context, taps, checkpointing, false);
    }

    /**
     * One forward of {@code unet}; with {@code autocast} it runs under float16 autocast (float32 master weights cast
     * inside each op, as torch.autocast) and its output and features come back as float32 (differentiably, like
     * diffusers' {@code model_pred.float()}), so the loss is computed in float32. A checkpointed pass replays its
     * blocks under the same autocast state.
     */
    public static UNetPass run(UNet2DConditionModel unet, NDArray sample, NDArray timesteps, NDArray context,
                               List<String> taps, boolean checkpointing, boolean autocast) {
        if (!autocast) {
            return forward(unet, sample, timesteps, context, taps, checkpointing);
        }
        UNetPass p;
        try (Autocast a = Autocast.fp16()) {
            p = forward(unet, sample, timesteps, context, taps, checkpointing);
        }
        Map<String, NDArray> features = new LinkedHashMap<>();
        p.output.features().forEach((k, v) -> features.put(k, Ops.cast(v, DataType.FLOAT32)));
        return new UNetPass(new UNet2DConditionModel.Output(Ops.cast(p.output.sample(), DataType.FLOAT32), features),
                p.afterBackward);
    }

    private static UNetPass forward(UNet2DConditionModel unet, NDArray sample, NDArray timesteps, NDArray context,
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
