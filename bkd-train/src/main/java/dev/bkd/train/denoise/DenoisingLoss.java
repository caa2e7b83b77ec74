package dev.bkd.train.denoise;

import ai.djl.ndarray.NDArray;
import dev.bkd.train.loop.DiffusionBatch;
import dev.bkd.train.loop.LossTerms;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text-to-image objective's loss (diffusers' train_text_to_image / train_text_to_image_lora): MSE between
 * the UNet's prediction and the batch target (noise or velocity), optionally min-SNR weighted per sample. Shared
 * by full fine-tuning and LoRA, which differ only in which parameters train.
 */
public final class DenoisingLoss {
    private DenoisingLoss() {}

    /** {@code weighting} null: plain MSE, logged as {@code loss}; else the weighted total and the plain {@code mse}. */
    public static LossTerms of(NDArray pred, DiffusionBatch b, MinSnrWeighting weighting) {
        NDArray se = pred.sub(b.target()).square();
        Map<String, NDArray> logged = new LinkedHashMap<>();
        if (weighting == null) {
            NDArray mse = se.mean();
            logged.put("loss", mse);
            return new LossTerms(mse, logged);
        }
        NDArray perSample = se.reshape(se.getShape().get(0), -1).mean(new int[] {1});
        NDArray total = perSample.mul(weighting.weights(b.timesteps())).mean();
        logged.put("loss", total);
        logged.put("mse", perSample.mean());
        return new LossTerms(total, logged);
    }
}
