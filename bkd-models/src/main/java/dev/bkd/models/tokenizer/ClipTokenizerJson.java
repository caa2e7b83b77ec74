package dev.bkd.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.TokenizerConfig.AddedToken;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tokenizers-library definition ({@code tokenizer.json}) of CLIP's tokenizer, built from vocab.json +
 * merges.txt the way transformers' CLIPTokenizer builds its backend: NFC, whitespace runs to one space,
 * lowercase; CLIP's split regex then byte-level; BPE with the {@code </w>} end-of-word suffix; BOS/EOS
 * added around the sequence. Real SD folders ship no tokenizer.json, so bkd builds this in memory.
 */
final class ClipTokenizerJson {
    /** CLIP's word split (openai simple_tokenizer, as in transformers); special tokens stay whole. */
    static final String SPLIT_REGEX =
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ClipTokenizerJson() {}

    static String build(BpeVocabulary bpe, List<AddedToken> addedTokens, String bos, int bosId,
                        String eos, int eosId, String unk) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding"); // bkd pads and truncates itself (see TokenizedPrompt)
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken t : addedTokens) {
            added.addObject().put("id", t.id()).put("content", t.content()).put("single_word", t.singleWord())
                    .put("lstrip", t.lstrip()).put("rstrip", t.rstrip()).put("normalized", t.normalized())
                    .put("special", t.special());
        }
        root.set("normalizer", normalizer());
        root.set("pre_tokenizer", preTokenizer());
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "RobertaProcessing");
        post.putArray("sep").add(eos).add(eosId);
        post.putArray("cls").add(bos).add(bosId);
        post.put("trim_offsets", false).put("add_prefix_space", false);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        root.set("model", model(bpe, unk));
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a Jackson tree", e);
        }
    }

    private static ObjectNode normalizer() {
        ObjectNode n = JSON.createObjectNode().put("type", "Sequence");
        ArrayNode seq = n.putArray("normalizers");
        seq.addObject().put("type", "NFC");
        ObjectNode replace = seq.addObject().put("type", "Replace");
        replace.putObject("pattern").put("Regex", "\\s+");
        replace.put("content", " ");
        seq.addObject().put("type", "Lowercase");
        return n;
    }

    private static ObjectNode preTokenizer() {
        ObjectNode p = JSON.createObjectNode().put("type", "Sequence");
        ArrayNode seq = p.putArray("pretokenizers");
        ObjectNode split = seq.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", SPLIT_REGEX);
        split.put("behavior", "Removed").put("invert", true);
        seq.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);
        return p;
    }

    private static ObjectNode model(BpeVocabulary bpe, String unk) {
        ObjectNode m = JSON.createObjectNode().put("type", "BPE");
        m.putNull("dropout");
        m.put("unk_token", unk).put("continuing_subword_prefix", "").put("end_of_word_suffix", "</w>")
                .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = m.putObject("vocab");
        // id order, like a saved tokenizer.json; makes the JSON deterministic
        Map<Integer, String> byId = new TreeMap<>();
        bpe.vocab().forEach((token, id) -> byId.put(id, token));
        byId.forEach((id, token) -> vocab.put(token, id));
        ArrayNode merges = m.putArray("merges");
        bpe.merges().forEach(merges::add);
        return m;
    }
}
