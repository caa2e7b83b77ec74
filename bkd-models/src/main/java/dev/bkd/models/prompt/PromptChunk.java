package dev.bkd.models.prompt;

/**
 * One text-encoder window of a chunked prompt: BOS, 75 tokens (padded with EOS), EOS; and each token's
 * attention multiplier (1.0 for BOS, EOS and padding).
 */
public record PromptChunk(int[] ids, double[] multipliers) {
    public PromptChunk {
        if (ids.length != multipliers.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + multipliers.length + " multipliers");
        }
    }

    /** True when every multiplier is 1, so emphasis leaves the chunk's conditioning unchanged. */
    public boolean unweighted() {
        for (double m : multipliers) {
            if (m != 1.0) {
                return false;
            }
        }
        return true;
    }
}
