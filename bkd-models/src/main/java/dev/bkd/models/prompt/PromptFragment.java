package dev.bkd.models.prompt;

/**
 * One entry of A1111's {@code parse_prompt_attention} result: a piece of text and its attention weight. A
 * {@code BREAK} is the entry ("BREAK", -1) and only counts as one while its weight is exactly -1 (A1111 multiplies
 * the weights of every entry inside an open bracket, BREAK entries included, and then no longer treats them as
 * breaks).
 */
public record PromptFragment(String text, double weight) {
    /** The marker A1111 inserts for each {@code BREAK}. */
    public static final PromptFragment BREAK = new PromptFragment("BREAK", -1);

    public boolean isBreak() {
        return "BREAK".equals(text) && weight == -1;
    }
}
