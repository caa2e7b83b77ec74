package dev.bkd.models.prompt;

import java.util.Locale;

/** How a prompt's text becomes token ids and weights. */
public enum PromptSyntax {
    /**
     * AUTOMATIC1111: emphasis {@code (x)} {@code [x]} {@code (x:1.4)}, {@code BREAK}, prompts of any length in
     * chunks of 75 tokens, the "Original" mean restoration (see {@link A1111PromptParser}, {@link PromptChunker},
     * {@link WeightedTextEncoder}).
     */
    A1111,
    /** diffusers: the text as is, truncated to the text encoder's 77 tokens, no weights. */
    PLAIN;

    /** The CLI spelling ({@code a1111}, {@code plain}). */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code a1111} / {@code plain} (any case). */
    public static PromptSyntax parse(String text) {
        for (PromptSyntax s : values()) {
            if (s.cliName().equalsIgnoreCase(text.trim())) {
                return s;
            }
        }
        throw new PromptException("unknown prompt syntax \"" + text + "\"; use a1111 or plain");
    }
}
