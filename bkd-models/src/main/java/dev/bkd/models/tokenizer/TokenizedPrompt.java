package dev.bkd.models.tokenizer;

import java.util.Arrays;

/**
 * One prompt's ids before padding ({@code BOS content EOS}, as transformers returns them without
 * truncation), and the fixed-length forms the CLIP text encoder takes.
 */
public final class TokenizedPrompt {
    private final int[] ids;
    private final int bos;
    private final int eos;
    private final int pad;
    private final int maxLength;

    TokenizedPrompt(int[] ids, int bos, int eos, int pad, int maxLength) {
        if (ids.length < 2 || ids[0] != bos || ids[ids.length - 1] != eos) {
            throw new IllegalArgumentException("ids must be BOS content EOS: " + Arrays.toString(ids));
        }
        this.ids = ids.clone();
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.maxLength = maxLength;
    }

    /** Unpadded, untruncated ids including BOS and EOS. */
    public int[] ids() {
        return ids.clone();
    }

    /** Number of ids including BOS and EOS (transformers' {@code len(tokenizer(prompt).input_ids)}). */
    public int tokenCount() {
        return ids.length;
    }

    /** True when {@link #padded()} drops content tokens because the prompt exceeds the window. */
    public boolean truncated() {
        return ids.length > maxLength;
    }

    /** How many content tokens {@link #padded()} drops. */
    public int truncatedTokenCount() {
        return Math.max(0, ids.length - maxLength);
    }

    /**
     * The window the text encoder sees: truncated to {@code maxLength} keeping EOS last, then padded
     * with the pad token (transformers: {@code padding="max_length", truncation=True}).
     */
    public int[] padded() {
        return window(1, ids.length - 1);
    }

    /**
     * Long-prompt chunking (diffusers community / compel convention): the content ids (without BOS/EOS)
     * are cut into runs of {@code maxLength - 2}; each run becomes its own window {@code BOS run EOS pad...}.
     * A prompt that fits gives one chunk equal to {@link #padded()}. When fewer than {@code minChunks}
     * chunks result, empty-prompt windows ({@code BOS EOS pad...}) are appended, so a prompt and its
     * negative prompt can be given the same number of chunks.
     */
    public int[][] chunks(int minChunks) {
        int per = maxLength - 2;
        int content = ids.length - 2;
        int n = Math.max(Math.max(1, minChunks), (content + per - 1) / per);
        int[][] out = new int[n][];
        for (int c = 0; c < n; c++) {
            int from = 1 + Math.min(content, c * per);
            int to = 1 + Math.min(content, (c + 1) * per);
            out[c] = window(from, to);
        }
        return out;
    }

    /** BOS + ids[from, to) (cut to fit) + EOS, padded to maxLength. */
    private int[] window(int from, int to) {
        int n = Math.min(to - from, maxLength - 2);
        int[] out = new int[maxLength];
        Arrays.fill(out, pad);
        out[0] = bos;
        System.arraycopy(ids, from, out, 1, n);
        out[n + 1] = eos;
        return out;
    }
}
