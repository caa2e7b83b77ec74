package dev.bkd.models.tokenizer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.TokenizerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A small CLIP tokenizer in the real on-disk format: openai CLIP's vocabulary layout (the 256 byte symbols, the
 * same with {@code </w>}, one entry per merge, then {@code <|startoftext|>} and {@code <|endoftext|>}) with just
 * enough merges that each given word is one token. Other text still tokenizes, byte by byte.
 */
public final class WordVocabulary {
    private static final String END = "</w>";

    private WordVocabulary() {}

    /** The vocabulary for {@code words} (lower-cased; letters only, as CLIP's pre-tokenizer splits them). */
    public static BpeVocabulary build(List<String> words) {
        List<String> base = byteSymbols();
        List<String> merges = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String raw : words) {
            String w = raw.toLowerCase(Locale.ROOT);
            if (!w.matches("\\p{L}+")) {
                throw new TokenizerException("vocabulary word \"" + raw + "\" must be letters only");
            }
            // BPE with the merges so far; add (first, second) until the word is one token. A new merge ranks
            // last, so words already single tokens keep their exact merge path.
            List<String> parts = apply(symbols(w), merges);
            while (parts.size() > 1) {
                String m = parts.get(0) + " " + parts.get(1);
                if (seen.add(m)) {
                    merges.add(m);
                }
                parts = apply(symbols(w), merges);
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : base) {
            vocab.put(s, vocab.size());
        }
        for (String s : base) {
            vocab.put(s + END, vocab.size());
        }
        for (String m : merges) {
            vocab.put(m.replace(" ", ""), vocab.size());
        }
        vocab.put(TokenizerConfig.DEFAULT_BOS, vocab.size());
        vocab.put(TokenizerConfig.DEFAULT_EOS, vocab.size());
        return new BpeVocabulary(vocab, merges);
    }

    /** Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json as CLIP folders have them. */
    public static void write(BpeVocabulary bpe, int modelMaxLength, Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode v = ConfigReader.MAPPER.createObjectNode();
        bpe.vocab().entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> v.put(e.getKey(), e.getValue()));
        Files.writeString(dir.resolve(BpeVocabulary.VOCAB_FILE), ConfigReader.MAPPER.writeValueAsString(v) + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(BpeVocabulary.MERGES_FILE), "#version: 0.2\n" + String.join("\n", bpe.merges())
                + "\n", StandardCharsets.UTF_8);
        ObjectNode special = ConfigReader.MAPPER.createObjectNode();
        special.put("bos_token", TokenizerConfig.DEFAULT_BOS);
        special.put("eos_token", TokenizerConfig.DEFAULT_EOS);
        special.put("pad_token", TokenizerConfig.DEFAULT_EOS);
        special.put("unk_token", TokenizerConfig.DEFAULT_EOS);
        ObjectNode config = ConfigReader.MAPPER.createObjectNode();
        config.put("add_prefix_space", false);
        config.setAll(special);
        config.put("model_max_length", modelMaxLength);
        config.put("do_lower_case", true);
        config.put("errors", "replace");
        config.put("tokenizer_class", "CLIPTokenizer");
        Files.writeString(dir.resolve(TokenizerConfig.TOKENIZER_CONFIG),
                ConfigReader.MAPPER.writeValueAsString(config) + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(TokenizerConfig.SPECIAL_TOKENS_MAP),
                ConfigReader.MAPPER.writeValueAsString(special) + "\n", StandardCharsets.UTF_8);
    }

    /** A word's starting symbols: one per UTF-8 byte, the last marked end-of-word. */
    private static List<String> symbols(String w) {
        List<String> map = byteSymbols();
        byte[] bytes = w.getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            String s = map.get(byteIndex(bytes[i] & 0xff));
            out.add(i == bytes.length - 1 ? s + END : s);
        }
        return out;
    }

    /** Standard BPE: repeatedly merge the adjacent pair with the lowest rank. */
    static List<String> apply(List<String> parts, List<String> merges) {
        Map<String, Integer> rank = new LinkedHashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            rank.put(merges.get(i), i);
        }
        List<String> p = new ArrayList<>(parts);
        while (p.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < p.size(); i++) {
                Integer r = rank.get(p.get(i) + " " + p.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            p.set(best, p.get(best) + p.remove(best + 1));
        }
        return p;
    }

    /** GPT-2/CLIP bytes_to_unicode, in vocabulary order: printable bytes first as themselves, the rest from 256 up. */
    static List<String> byteSymbols() {
        List<String> out = new ArrayList<>(256);
        for (int b = 0; b < 256; b++) {
            if (printable(b)) {
                out.add(String.valueOf((char) b));
            }
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable(b)) {
                out.add(String.valueOf((char) (256 + n++)));
            }
        }
        return out;
    }

    /** Position of byte {@code b} in {@link #byteSymbols()}. */
    private static int byteIndex(int b) {
        int idx = 0;
        if (printable(b)) {
            for (int i = 0; i < b; i++) {
                idx += printable(i) ? 1 : 0;
            }
            return idx;
        }
        int printables = 188;
        for (int i = 0; i < b; i++) {
            idx += printable(i) ? 0 : 1;
        }
        return printables + idx;
    }

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }
}
