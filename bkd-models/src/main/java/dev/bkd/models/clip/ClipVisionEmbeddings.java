package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.bkd.core.config.ClipVisionConfig;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.Embedding;
import dev.bkd.core.nn.Module;

/**
 * transformers CLIPVisionEmbeddings: a stride-P convolution cuts the image into patches (flattened row-major,
 * h then w), the learned class token goes first, then the absolute position embedding is added.
 */
public final class ClipVisionEmbeddings extends Module {
    final Conv2d patchEmbedding;
    final Embedding positionEmbedding;
    private final int numPositions;

    public ClipVisionEmbeddings(ClipVisionConfig config) {
        // typed BIAS only so that random initialisation (benchmarks) starts it at zero: DJL's Xavier needs 2-D
        param("class_embedding", Parameter.Type.BIAS, config.hiddenSize());
        patchEmbedding = child("patch_embedding", new Conv2d(config.numChannels(), config.hiddenSize(),
                config.patchSize(), config.patchSize(), 0, false));
        numPositions = config.numPositions();
        positionEmbedding = child("position_embedding", new Embedding(numPositions, config.hiddenSize()));
    }

    /** {@code pixels} (B, 3, S, S) normalised to (B, 1 + patches, C). */
    public NDArray forward(NDArray pixels) {
        long b = pixels.getShape().get(0);
        NDArray patches = patchEmbedding.forward(pixels); // (B, C, S/P, S/P)
        long c = patches.getShape().get(1);
        NDArray tokens = patches.reshape(b, c, -1).transpose(0, 2, 1);
        NDArray cls = p("class_embedding").reshape(1, 1, c).broadcast(b, 1, c);
        NDArray x = NDArrays.concat(new NDList(cls, tokens), 1);
        NDArray positions = pixels.getManager().arange(0, numPositions, 1, DataType.INT64).reshape(1, numPositions);
        return x.add(positionEmbedding.forward(positions));
    }
}
