package dev.bkd.models.pipeline;

import java.util.Collections;
import java.util.List;

/** A request's prompts and one negative prompt per prompt ("" when none, like diffusers' default). */
record Prompts(List<String> prompts, List<String> negatives) {

    static Prompts of(GenerationRequest req) {
        int n = req.promptEmbeds() != null ? (int) req.promptEmbeds().getShape().get(0) : req.prompts().size();
        List<String> prompts = req.promptEmbeds() != null ? Collections.nCopies(n, "") : req.prompts();
        List<String> neg = req.negativePrompts();
        List<String> negatives = neg.isEmpty() ? Collections.nCopies(n, "")
                : neg.size() == 1 ? Collections.nCopies(n, neg.get(0)) : neg;
        if (negatives.size() != n) {
            throw new GenerationRequestException("negativePrompts", "has " + neg.size() + " entries for " + n
                    + " prompt embeddings: give one for all or one per prompt");
        }
        return new Prompts(prompts, negatives);
    }

    int count() {
        return prompts.size();
    }

    String prompt(int i) {
        return prompts.get(i);
    }

    String negative(int i) {
        return negatives.get(i);
    }
}
