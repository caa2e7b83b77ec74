package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** transformers CLIPTextTransformer: embeddings, causal encoder, final_layer_norm, end-of-text pooling. */
public final class ClipTextTransformer extends Module {
    /** CLIP's end-of-text id: the largest id of its BPE vocabulary. */
    static final long CLIP_EOT_ID = 49407;

    private final ClipTextConfig config;
    final ClipTextEmbeddings embeddings;
    final ClipEncoder encoder;
    final LayerNorm finalLayerNorm;

    public ClipTextTransformer(ClipTextConfig config) {
        this.config = config;
        embeddings = child("embeddings", new ClipTextEmbeddings(config));
        encoder = child("encoder", new ClipEncoder(ClipLayerSpec.of(config), config.numHiddenLayers()));
        finalLayerNorm = child("final_layer_norm", new LayerNorm(config.hiddenSize(), (float) config.layerNormEps()));
    }

    /** {@code inputIds} (B, T) integer token ids, T at most max_position_embeddings. */
    public ClipTextOutput forward(NDArray inputIds) {
        long[][] ids = checkedIds(inputIds);
        ClipTextOutput out = Scoped.keepAll(() -> run(inputIds, ids), ClipTextTransformer::arrays);
        // the embedding lookup allocates in the weights' manager; results belong to the caller's
        arrays(out).forEach(a -> a.attach(inputIds.getManager()));
        return out;
    }

    private static List<NDArray> arrays(ClipTextOutput o) {
        List<NDArray> all = new ArrayList<>(o.hiddenStates());
        all.add(o.lastHiddenState());
        all.add(o.pooledOutput());
        return all;
    }

    private ClipTextOutput run(NDArray inputIds, long[][] ids) {
        NDArray ids64 = inputIds.toType(DataType.INT64, false);
        List<NDArray> hidden = new ArrayList<>();
        NDArray h = Scoped.keep(() -> embeddings.forward(ids64));
        hidden.add(h);
        for (ClipEncoderLayer layer : encoder.layers()) {
            NDArray in = h;
            h = Scoped.keep(() -> layer.forward(in));
            hidden.add(h);
        }
        NDArray last = finalLayerNorm.forward(h);
        NDArray[] rows = new NDArray[ids.length];
        for (int b = 0; b < ids.length; b++) {
            rows[b] = last.get(b).get(poolIndex(ids, b));
        }
        return new ClipTextOutput(last, NDArrays.stack(new NDList(rows)), hidden);
    }

    /** final_layer_norm, for callers that take an earlier hidden state ("clip skip"). */
    public NDArray finalLayerNorm(NDArray hiddenState) {
        return finalLayerNorm.forward(hiddenState);
    }

    /**
     * Where transformers pools a row. When every row's largest id is CLIP's end-of-text 49407 it takes
     * the first position of the largest id (the pre-2023 rule, kept for configs with the legacy
     * eos_token_id 2); otherwise the first position of config eos_token_id, or 0 if a row has none
     * (torch argmax of an all-zero row).
     */
    int poolIndex(long[][] ids, int row) {
        boolean legacy = true;
        for (long[] r : ids) {
            legacy &= max(r) == CLIP_EOT_ID;
        }
        long[] r = ids[row];
        long target = legacy ? CLIP_EOT_ID : config.eosTokenId();
        for (int i = 0; i < r.length; i++) {
            if (r[i] == target) {
                return i;
            }
        }
        return 0;
    }

    private static long max(long[] r) {
        long m = Long.MIN_VALUE;
        for (long v : r) {
            m = Math.max(m, v);
        }
        return m;
    }

    private long[][] checkedIds(NDArray inputIds) {
        if (inputIds.getShape().dimension() != 2) {
            throw new BkdException("text encoder input_ids must have shape (batch, tokens), got " + inputIds.getShape());
        }
        DataType dt = inputIds.getDataType();
        if (dt != DataType.INT64 && dt != DataType.INT32) {
            throw new BkdException("text encoder input_ids must be int32 or int64 token ids, got " + dt);
        }
        int b = (int) inputIds.getShape().get(0);
        int t = (int) inputIds.getShape().get(1);
        if (t == 0) {
            throw new BkdException("text encoder input_ids hold no tokens (shape " + inputIds.getShape() + ")");
        }
        if (t > config.maxPositionEmbeddings()) {
            throw new BkdException("text encoder input_ids have " + t + " tokens but the text encoder config's "
                    + "max_position_embeddings is " + config.maxPositionEmbeddings());
        }
        long[] flat = dt == DataType.INT64 ? inputIds.toLongArray()
                : java.util.Arrays.stream(inputIds.toIntArray()).asLongStream().toArray();
        long[][] out = new long[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                long v = flat[i * t + j];
                if (v < 0 || v >= config.vocabSize()) {
                    throw new BkdException("text encoder input_ids[" + i + "][" + j + "] = " + v
                            + " is outside the vocabulary (vocab_size " + config.vocabSize() + ")");
                }
                out[i][j] = v;
            }
        }
        return out;
    }
}
