package dev.bkd.models.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.clip.ClipTextOutput;
import dev.bkd.models.tokenizer.ClipTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A1111's conditioning for a prompt ({@code FrozenCLIPEmbedderWithCustomWords.forward} with emphasis "Original"):
 * every chunk is its own text-encoder pass (positions restart at 0), taken at the CLIP skip layer, scaled by its
 * tokens' multipliers and rescaled so its mean over all 77 tokens and channels is the unweighted one; the chunks
 * are concatenated along the token axis. Text encoders whose pad token is not EOS (SD2's "!" = 0) get every id
 * after the first EOS replaced by the pad id, as A1111 does for them.
 */
public final class WeightedTextEncoder {
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final int clipSkip;
    private final PromptChunker chunker;

    /**
     * @param clipSkip A1111's "Clip skip" (1 = last layer; N = hidden state N from the end, then the final layer
     *     norm; diffusers' {@code clip_skip = N - 1})
     */
    public WeightedTextEncoder(ClipTokenizer tokenizer, ClipTextModel textEncoder, int clipSkip, int backtrack) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.clipSkip = checkClipSkip(clipSkip, textEncoder.config().numHiddenLayers());
        int[] comma = tokenizer.idsWithoutSpecialTokens(",");
        this.chunker = new PromptChunker(tokenizer::idsWithoutSpecialTokens, tokenizer.bosTokenId(),
                tokenizer.eosTokenId(), comma.length == 1 ? comma[0] : -1, backtrack);
    }

    public WeightedTextEncoder(ClipTokenizer tokenizer, ClipTextModel textEncoder, int clipSkip) {
        this(tokenizer, textEncoder, clipSkip, PromptChunker.DEFAULT_BACKTRACK);
    }

    /** Checks A1111's CLIP skip against the encoder's layer count. */
    public static int checkClipSkip(int clipSkip, int layers) {
        if (clipSkip < 1 || clipSkip > layers) {
            throw new PromptException("clip skip " + clipSkip + " is out of range: this text encoder has " + layers
                    + " layers, so use 1 (last layer, the default) to " + layers
                    + " (A1111 numbering: 2 = penultimate layer)");
        }
        return clipSkip;
    }

    /** The parsed and chunked prompt. */
    public ChunkedPrompt tokenize(String prompt) {
        return chunker.chunk(A1111PromptParser.parse(prompt));
    }

    /** The conditioning (1, 77 * chunks, hidden) in float32, attached to {@code out}. */
    public NDArray encode(String prompt, NDManager out) {
        return encode(tokenize(prompt), out);
    }

    /** {@link #encode(String, NDManager)} for an already chunked prompt. */
    public NDArray encode(ChunkedPrompt prompt, NDManager out) {
        List<NDArray> parts = new ArrayList<>();
        for (PromptChunk chunk : prompt.chunks()) {
            NDArray z = encodeRaw(chunk, out);
            parts.add(chunk.unweighted() ? z : emphasize(z, chunk.multipliers()));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
    }

    /** One chunk through the text encoder at the CLIP skip layer, before emphasis: (1, 77, hidden) float32. */
    public NDArray encodeRaw(PromptChunk chunk, NDManager out) {
        try (NDManager tmp = out.newSubManager()) {
            long[] ids = new long[chunk.ids().length];
            boolean afterEos = false;
            int pad = tokenizer.padTokenId();
            for (int i = 0; i < ids.length; i++) {
                ids[i] = afterEos ? pad : chunk.ids()[i];
                afterEos |= chunk.ids()[i] == tokenizer.eosTokenId();
            }
            ClipTextOutput o = textEncoder.forward(tmp.create(ids, new Shape(1, ids.length)));
            List<NDArray> hidden = o.hiddenStates();
            NDArray z = clipSkip == 1 ? o.lastHiddenState()
                    : textEncoder.textModel().finalLayerNorm(hidden.get(hidden.size() - clipSkip));
            z = z.getDataType() == DataType.FLOAT32 ? z : z.toType(DataType.FLOAT32, false);
            z.attach(out);
            return z;
        }
    }

    /**
     * A1111's EmphasisOriginal on one chunk, in float32 as torch does it: {@code z * m}, then times
     * {@code mean(z) / mean(z * m)}.
     */
    public static NDArray emphasize(NDArray z, double[] multipliers) {
        NDManager m = z.getManager();
        float[] f = new float[multipliers.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) multipliers[i];
        }
        NDArray originalMean = z.mean();
        NDArray weighted = z.mul(m.create(f, new Shape(1, f.length, 1)));
        return weighted.mul(originalMean.div(weighted.mean()));
    }

    /**
     * A1111's "Pad prompt/negative prompt": each conditioning shorter than the longest gets copies of the empty
     * prompt's conditioning appended, so all have the same token count (one batched UNet call).
     */
    public static List<NDArray> padToLongest(List<NDArray> conds, NDArray emptyCond) {
        long longest = conds.stream().mapToLong(c -> c.getShape().get(1)).max().orElse(0);
        long unit = emptyCond.getShape().get(1);
        List<NDArray> out = new ArrayList<>();
        for (NDArray c : conds) {
            long missing = (longest - c.getShape().get(1)) / unit;
            if (missing == 0) {
                out.add(c);
                continue;
            }
            NDList parts = new NDList(c);
            for (long i = 0; i < missing; i++) {
                parts.add(emptyCond);
            }
            out.add(NDArrays.concat(parts, 1));
        }
        return out;
    }
}
