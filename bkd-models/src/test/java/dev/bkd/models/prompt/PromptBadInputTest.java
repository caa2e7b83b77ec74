package dev.bkd.models.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Prompts that must fail fast and clearly: never an out-of-memory error or a long hang. */
class PromptBadInputTest {
    /** Every character one token, so the chunk cap is reached by token count alone. */
    private static final PromptChunker CHUNKER = new PromptChunker(
            s -> s.codePoints().filter(c -> !Character.isWhitespace(c)).toArray(), 1, 2, ',', 20);

    @Test
    void hundredThousandCharactersIsAClearErrorAtOnce() {
        String prompt = "(a:1.1) ".repeat(12_500);
        assertEquals(100_000, prompt.length());
        PromptException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(PromptException.class, () -> A1111PromptParser.parse(prompt)));
        assertTrue(e.getMessage().contains("100000 characters") && e.getMessage().contains("at most 20000"),
                e.getMessage());
    }

    @Test
    void aThousandBreaksHitTheChunkCap() {
        String prompt = "a BREAK ".repeat(1000);
        PromptException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(PromptException.class, () -> CHUNKER.chunk(A1111PromptParser.parse(prompt))));
        assertTrue(e.getMessage().contains("more than 32 chunks"), e.getMessage());
    }

    @Test
    void theLargestAcceptedPromptIsFast() {
        // 20,000 characters of nested unclosed brackets: the quadratic worst case of A1111's algorithm
        String prompt = "(a".repeat(10_000);
        List<PromptFragment> parsed = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> A1111PromptParser.parse(prompt));
        assertEquals(new PromptFragment("a", 1.1), parsed.get(0));
        // the innermost "a"s sit in thousands of open brackets: 1.1^n overflows to infinity (in Python too), and
        // the infinite neighbours merge
        assertEquals(Double.POSITIVE_INFINITY, parsed.get(parsed.size() - 1).weight());
    }

    @Test
    void chunkCapAllowsExactly32Chunks() {
        assertEquals(32, CHUNKER.chunk(A1111PromptParser.parse("x".repeat(32 * 75))).size());
        assertThrows(PromptException.class, () -> CHUNKER.chunk(A1111PromptParser.parse("x".repeat(32 * 75 + 1))));
    }

    @Test
    void aWeightThatIsNotANumberNamesItsPosition() {
        PromptException e = assertThrows(PromptException.class, () -> A1111PromptParser.parse("a (red:1.2.3) b"));
        assertTrue(e.getMessage().contains("\"1.2.3\"") && e.getMessage().contains("character 7"), e.getMessage());
        assertThrows(PromptException.class, () -> A1111PromptParser.parse("(x:.)"));
    }

    /** A1111 quirks the reference cases do not cover, from its algorithm. */
    @Test
    void a1111Quirks() {
        // a BREAK inside brackets gets its -1 multiplied and is then plain text, not a break
        assertEquals(List.of(new PromptFragment("a", 1.1), new PromptFragment("BREAK", -1.1),
                new PromptFragment("b", 1.1)), A1111PromptParser.parse("(a BREAK b)"));
        // only the upper-case whole word breaks
        assertEquals(List.of(new PromptFragment("a break b BREAKS", 1.0)),
                A1111PromptParser.parse("a break b BREAKS"));
        // a weight with nothing open is text; a lone backslash disappears
        assertEquals(List.of(new PromptFragment("a:1.2) b", 1.0)), A1111PromptParser.parse("a:1.2) b"));
        assertEquals(List.of(new PromptFragment("ab", 1.0)), A1111PromptParser.parse("a\\b"));
        // Unicode digits are digits for Python's float()
        assertEquals(List.of(new PromptFragment("x", 1.5)), A1111PromptParser.parse("(x:\u0661.\u0665)"));
        assertEquals(PromptSyntax.A1111, PromptSyntax.parse("A1111"));
        assertThrows(PromptException.class, () -> PromptSyntax.parse("comfy"));
    }
}
