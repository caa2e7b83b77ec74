package dev.bkd.models.prompt;

import java.util.List;

/**
 * A prompt split the way A1111 splits it: one {@link PromptChunk} per text-encoder window, and the token count
 * A1111's counter shows (75 for every chunk closed early, the real tokens of the last one).
 */
public record ChunkedPrompt(List<PromptChunk> chunks, int tokenCount) {
    public ChunkedPrompt {
        chunks = List.copyOf(chunks);
    }

    public int size() {
        return chunks.size();
    }
}
