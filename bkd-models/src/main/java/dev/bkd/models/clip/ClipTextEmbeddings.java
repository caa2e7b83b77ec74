package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.nn.Embedding;
import dev.bkd.core.nn.Module;

/**
 * transformers CLIPTextEmbeddings: token plus absolute position embedding. The int64 {@code position_ids}
 * buffer of the checkpoint is always 0..T-1, so it is not a parameter here (loads ignore it).
 */
public final class ClipTextEmbeddings extends Module {
    final Embedding tokenEmbedding;
    final Embedding positionEmbedding;

    public ClipTextEmbeddings(ClipTextConfig config) {
        tokenEmbedding = child("token_embedding", new Embedding(config.vocabSize(), config.hiddenSize()));
        positionEmbedding = child("position_embedding",
                new Embedding(config.maxPositionEmbeddings(), config.hiddenSize()));
    }

    /** {@code ids} (B, T) int64, already range-checked, to (B, T, C). */
    public NDArray forward(NDArray ids) {
        long t = ids.getShape().get(1);
        NDArray positions = ids.getManager().arange(0, (int) t, 1, DataType.INT64).reshape(1, t);
        return tokenEmbedding.forward(ids).add(positionEmbedding.forward(positions));
    }
}
