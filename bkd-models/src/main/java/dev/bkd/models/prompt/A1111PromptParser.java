package dev.bkd.models.prompt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AUTOMATIC1111's emphasis syntax ({@code modules/prompt_parser.py parse_prompt_attention}), exactly: {@code (x)}
 * multiplies by 1.1, {@code [x]} by 1/1.1, {@code (x:1.4)} by 1.4, {@code \( \) \[ \] \\} are literal, unbalanced
 * brackets are never an error (a stray closer is text, an unclosed opener applies to the end of the prompt), and
 * {@code BREAK} (case-sensitive, a whole word) splits the text. Weights are the doubles A1111's sequence of
 * multiplications gives ({@code ((x))} = 1.2100000000000002). Prompt editing ({@code [a:b:0.5]}) is not
 * interpreted, as A1111's later stages would; its text passes through as A1111's emphasis parser sees it.
 */
public final class A1111PromptParser {
    /** The longest prompt accepted, in characters: bounds parse time (nested brackets cost up to n^2 / 4). */
    public static final int MAX_PROMPT_CHARS = 20_000;

    private static final double ROUND = 1.1;
    private static final double SQUARE = 1 / 1.1;

    // webui's re_attention, alternatives in its order; Python's re is Unicode-aware for \s and \d
    private static final Pattern ATTENTION = Pattern.compile(
            "\\\\\\(|\\\\\\)|\\\\\\[|\\\\]|\\\\\\\\|\\\\|\\(|\\[|:\\s*([+-]?[.\\d]+)\\s*\\)|\\)|]|[^\\\\()\\[\\]:]+|:",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern BREAK = Pattern.compile("\\s*\\bBREAK\\b\\s*", Pattern.UNICODE_CHARACTER_CLASS);

    private A1111PromptParser() {}

    /** {@code parse_prompt_attention(prompt)}. */
    public static List<PromptFragment> parse(String prompt) {
        if (prompt.length() > MAX_PROMPT_CHARS) {
            throw new PromptException("has " + prompt.length() + " characters; bkd accepts at most "
                    + MAX_PROMPT_CHARS + " with A1111 prompt syntax (that is far beyond what the chunk limit of "
                    + PromptChunker.MAX_CHUNKS + " x 75 tokens can hold); shorten the prompt");
        }
        List<String> texts = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        Deque<Integer> round = new ArrayDeque<>();
        Deque<Integer> square = new ArrayDeque<>();
        Matcher m = ATTENTION.matcher(prompt);
        while (m.find()) {
            String text = m.group();
            String weight = m.group(1);
            if (text.startsWith("\\")) {
                texts.add(text.substring(1));
                weights.add(1.0);
            } else if (text.equals("(")) {
                round.push(texts.size());
            } else if (text.equals("[")) {
                square.push(texts.size());
            } else if (weight != null && !round.isEmpty()) {
                multiply(weights, round.pop(), parseWeight(weight, prompt, m.start(1)));
            } else if (text.equals(")") && !round.isEmpty()) {
                multiply(weights, round.pop(), ROUND);
            } else if (text.equals("]") && !square.isEmpty()) {
                multiply(weights, square.pop(), SQUARE);
            } else {
                String[] parts = BREAK.split(text, -1);
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) {
                        texts.add(PromptFragment.BREAK.text());
                        weights.add(PromptFragment.BREAK.weight());
                    }
                    texts.add(parts[i]);
                    weights.add(1.0);
                }
            }
        }
        // still-open brackets apply to the end, in order of opening: round ones first, then square ones
        round.descendingIterator().forEachRemaining(pos -> multiply(weights, pos, ROUND));
        square.descendingIterator().forEachRemaining(pos -> multiply(weights, pos, SQUARE));
        List<PromptFragment> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            PromptFragment f = new PromptFragment(texts.get(i), weights.get(i));
            int last = out.size() - 1;
            // neighbours with exactly equal weights merge, left to right
            if (last >= 0 && out.get(last).weight() == f.weight()) {
                out.set(last, new PromptFragment(out.get(last).text() + f.text(), f.weight()));
            } else {
                out.add(f);
            }
        }
        return out.isEmpty() ? List.of(new PromptFragment("", 1.0)) : out;
    }

    private static void multiply(List<Double> weights, int from, double factor) {
        for (int i = from; i < weights.size(); i++) {
            weights.set(i, weights.get(i) * factor);
        }
    }

    /** Python's {@code float(text)} for {@code [+-]?[.\d]+}: Unicode digits count; "1.2.3" or "." is an error. */
    private static double parseWeight(String text, String prompt, int at) {
        StringBuilder ascii = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            ascii.append(Character.isDigit(c) ? (char) ('0' + Character.digit(c, 10)) : c);
        }
        try {
            return Double.parseDouble(ascii.toString());
        } catch (NumberFormatException e) {
            throw new PromptException("the weight \"" + text + "\" at character " + at
                    + " is not a number (A1111 rejects it too); write it like (text:1.2) or escape the bracket as \\(");
        }
    }
}
