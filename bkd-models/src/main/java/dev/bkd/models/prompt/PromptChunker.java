package dev.bkd.models.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A1111's {@code FrozenCLIPEmbedderWithCustomWords.tokenize_line}: each parsed fragment is tokenized on its own, the
 * tokens are packed into chunks of 75 with their fragment's weight, a full chunk moves the tokens after its last
 * comma into the next chunk when that comma is at most {@code backtrack} (A1111 default 20) tokens back, a
 * {@code BREAK} closes the current chunk, and every chunk is padded to 75 with EOS and wrapped in BOS ... EOS.
 * Textual-inversion embeddings are not looked up (bkd has none).
 */
public final class PromptChunker {
    /** Tokens per chunk, without BOS and EOS. */
    public static final int CHUNK_LENGTH = 75;
    /** A1111's default "comma padding backtrack". */
    public static final int DEFAULT_BACKTRACK = 20;
    /**
     * The most chunks one prompt may have (2,400 tokens). Each chunk is a text-encoder pass and 77 more
     * cross-attention tokens in every UNet step, so an unbounded count (1,000 BREAKs) would run for minutes or run
     * out of memory; real prompts stay far below.
     */
    public static final int MAX_CHUNKS = 32;

    private final Function<String, int[]> tokenize;
    private final int bos;
    private final int eos;
    private final int comma;
    private final int backtrack;

    /**
     * @param tokenize a fragment's ids without BOS/EOS, untruncated
     * @param comma the id of {@code ,</w>} (267 in CLIP's vocabulary), or -1 when the vocabulary has none
     * @param backtrack how far back a comma may be to move the rest of a full chunk (0 disables)
     */
    public PromptChunker(Function<String, int[]> tokenize, int bos, int eos, int comma, int backtrack) {
        this.tokenize = tokenize;
        this.bos = bos;
        this.eos = eos;
        this.comma = comma;
        this.backtrack = backtrack;
    }

    /** Chunks the parse result of {@link A1111PromptParser#parse}. */
    public ChunkedPrompt chunk(List<PromptFragment> fragments) {
        Builder b = new Builder();
        for (PromptFragment f : fragments) {
            if (f.isBreak()) {
                b.close(false);
                continue;
            }
            for (int token : tokenize.apply(f.text())) {
                b.add(token, f.weight());
            }
        }
        if (b.length > 0 || b.chunks.isEmpty()) {
            b.close(true);
        }
        return new ChunkedPrompt(b.chunks, b.tokenCount);
    }

    /** The chunk state of one prompt; the names follow tokenize_line. */
    private final class Builder {
        final List<PromptChunk> chunks = new ArrayList<>();
        int[] tokens = new int[CHUNK_LENGTH];
        double[] mults = new double[CHUNK_LENGTH];
        int length;
        int lastComma = -1;
        int tokenCount;

        void add(int token, double weight) {
            if (token == comma) {
                lastComma = length;
            } else if (backtrack != 0 && length == CHUNK_LENGTH && lastComma != -1
                    && length - lastComma <= backtrack) {
                int from = lastComma + 1;
                int[] movedTokens = Arrays.copyOfRange(tokens, from, length);
                double[] movedMults = Arrays.copyOfRange(mults, from, length);
                length = from;
                close(false);
                System.arraycopy(movedTokens, 0, tokens, 0, movedTokens.length);
                System.arraycopy(movedMults, 0, mults, 0, movedMults.length);
                length = movedTokens.length;
            }
            if (length == CHUNK_LENGTH) {
                close(false);
            }
            tokens[length] = token;
            mults[length] = weight;
            length++;
        }

        void close(boolean last) {
            if (chunks.size() == MAX_CHUNKS) {
                throw new PromptException("needs more than " + MAX_CHUNKS + " chunks of " + CHUNK_LENGTH
                        + " tokens (each BREAK and every 75 tokens start one); bkd caps a prompt at " + MAX_CHUNKS
                        + " chunks (" + MAX_CHUNKS * CHUNK_LENGTH + " tokens) so generation stays fast; shorten it");
            }
            tokenCount += last ? length : CHUNK_LENGTH;
            int[] ids = new int[CHUNK_LENGTH + 2];
            double[] m = new double[CHUNK_LENGTH + 2];
            Arrays.fill(ids, eos);
            Arrays.fill(m, 1.0);
            ids[0] = bos;
            System.arraycopy(tokens, 0, ids, 1, length);
            System.arraycopy(mults, 0, m, 1, length);
            chunks.add(new PromptChunk(ids, m));
            length = 0;
            lastComma = -1;
        }
    }
}
