package dev.bkd.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary as shipped in {@code vocab.json} + {@code merges.txt}, validated so that
 * errors name the file and line instead of surfacing as a native tokenizers failure.
 *
 * @param vocab token -> id
 * @param merges merge rules in rank order, each "left right"
 */
public record BpeVocabulary(Map<String, Integer> vocab, List<String> merges) {
    public static final String VOCAB_FILE = "vocab.json";
    public static final String MERGES_FILE = "merges.txt";

    public BpeVocabulary {
        vocab = Map.copyOf(vocab);
        merges = List.copyOf(merges);
    }

    /** Reads {@code dir/vocab.json} and {@code dir/merges.txt}. */
    public static BpeVocabulary read(Path dir) {
        Map<String, Integer> vocab = readVocab(dir.resolve(VOCAB_FILE));
        return new BpeVocabulary(vocab, readMerges(dir.resolve(MERGES_FILE), vocab));
    }

    static Map<String, Integer> readVocab(Path file) {
        String label = ConfigReader.label(file);
        JsonNode root;
        try {
            root = ConfigReader.MAPPER.readTree(readUtf8(file));
        } catch (JsonProcessingException e) {
            throw new TokenizerException(label + ": invalid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerException(label + ": expected a JSON object {\"token\": id, ...}");
        }
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        Map<Integer, String> byId = new HashMap<>(root.size() * 2);
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw new TokenizerException(label + ": token \"" + e.getKey()
                        + "\" must map to a non-negative integer id, found " + id);
            }
            String twin = byId.putIfAbsent(id.asInt(), e.getKey());
            if (twin != null) {
                throw new TokenizerException(label + ": tokens \"" + twin + "\" and \"" + e.getKey()
                        + "\" have the same id " + id.asInt());
            }
            vocab.put(e.getKey(), id.asInt());
        }
        if (vocab.isEmpty()) {
            throw new TokenizerException(label + ": the vocabulary is empty");
        }
        return vocab;
    }

    /**
     * One merge per line, "left right". A first line starting with {@code #version} is a header (later
     * lines starting with '#' are real merges, e.g. "# #&lt;/w&gt;"); trailing blank lines are ignored.
     * Both halves and their concatenation must be in the vocabulary, as the tokenizers library requires.
     */
    static List<String> readMerges(Path file, Map<String, Integer> vocab) {
        String label = ConfigReader.label(file);
        String[] lines = readUtf8(file).split("\n", -1);
        int end = lines.length;
        while (end > 0 && strip(lines[end - 1]).isEmpty()) {
            end--;
        }
        List<String> merges = new ArrayList<>(end);
        for (int i = 0; i < end; i++) {
            String line = strip(lines[i]);
            if (i == 0 && line.startsWith("#version")) {
                continue;
            }
            int sp = line.indexOf(' ');
            if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
                throw new TokenizerException(label + " line " + (i + 1)
                        + ": expected two tokens separated by one space, found \"" + line + "\"");
            }
            String left = line.substring(0, sp);
            String right = line.substring(sp + 1);
            for (String token : new String[] {left, right, left + right}) {
                if (!vocab.containsKey(token)) {
                    throw new TokenizerException(label + " line " + (i + 1) + ": merge \"" + line
                            + "\" uses token \"" + token + "\" that is not in " + VOCAB_FILE);
                }
            }
            merges.add(line);
        }
        if (merges.isEmpty()) {
            throw new TokenizerException(label + ": no merges found");
        }
        return merges;
    }

    private static String strip(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    static String readUtf8(Path file) {
        String label = ConfigReader.label(file);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (NoSuchFileException e) {
            throw new TokenizerException(label + ": file not found (" + file + "); a CLIP tokenizer folder"
                    + " needs vocab.json and merges.txt, or tokenizer.json");
        } catch (CharacterCodingException e) {
            throw new TokenizerException(label + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new TokenizerException(label + ": cannot read: " + e.getMessage(), e);
        }
    }
}
