package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.clip.ClipTextOutput;
import dev.bkd.models.prompt.PromptException;
import dev.bkd.models.prompt.WeightedTextEncoder;
import dev.bkd.models.tokenizer.ClipTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompt text to text-encoder conditioning in both syntaxes: plain (diffusers' {@code encode_prompt}: one batched
 * pass over ids truncated to 77, at {@code clip_skip = n - 1}) and A1111 (each prompt chunked, weighted and
 * encoded by {@link WeightedTextEncoder}; prompts and negative prompts with fewer chunks are padded with the empty
 * prompt's conditioning, A1111's "Pad prompt/negative prompt", so the CFG batch stays one UNet call).
 */
final class TextConditioning {
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;

    TextConditioning(ClipTokenizer tokenizer, ClipTextModel textEncoder) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
    }

    /** diffusers: (prompts, 77, hidden) in the text encoder's dtype; clip skip 1 is its last_hidden_state as is. */
    NDArray plain(List<String> prompts, int clipSkip, NDManager m) {
        WeightedTextEncoder.checkClipSkip(clipSkip, textEncoder.config().numHiddenLayers());
        long[][] rows = tokenizer.encodeBatch(prompts);
        int len = tokenizer.modelMaxLength();
        long[] flat = new long[rows.length * len];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * len, len);
        }
        ClipTextOutput out = textEncoder.forward(m.create(flat, new Shape(rows.length, len)));
        if (clipSkip == 1) {
            return out.lastHiddenState();
        }
        List<NDArray> hidden = out.hiddenStates();
        return textEncoder.textModel().finalLayerNorm(hidden.get(hidden.size() - clipSkip));
    }

    /**
     * A1111: the prompts' and (when {@code negatives} is not null) the negatives' conditioning in float32, every
     * row padded to the longest: {@code [cond (n, 77k, hidden), uncond or null]}.
     */
    NDArray[] a1111(List<String> prompts, List<String> negatives, int clipSkip, NDManager m) {
        WeightedTextEncoder encoder = new WeightedTextEncoder(tokenizer, textEncoder, clipSkip);
        List<NDArray> all = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            all.add(encode(encoder, prompts.get(i), prompts.size() == 1 ? "prompt" : "prompt " + i, m));
        }
        if (negatives != null) {
            for (int i = 0; i < negatives.size(); i++) {
                all.add(encode(encoder, negatives.get(i), negatives.size() == 1 ? "negative prompt"
                        : "negative prompt " + i, m));
            }
        }
        List<NDArray> padded = WeightedTextEncoder.padToLongest(all, encoder.encode("", m));
        int n = prompts.size();
        NDArray cond = NDArrays.concat(new NDList(padded.subList(0, n)), 0);
        NDArray uncond = negatives == null ? null : NDArrays.concat(new NDList(padded.subList(n, padded.size())), 0);
        return new NDArray[] {cond, uncond};
    }

    /** One prompt; a {@link PromptException} names which prompt it is about. */
    private static NDArray encode(WeightedTextEncoder encoder, String text, String which, NDManager m) {
        try {
            return encoder.encode(text, m);
        } catch (PromptException e) {
            throw new PromptException(which + ": " + e.getMessage());
        }
    }
}
