package dev.bkd.core.prune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which UNet blocks a student keeps, as data (a JSON file; the built-in BK-SDM variants are resources in the same
 * format). Indices are the teacher's; negative ones count from the end, like Python. JSON fields:
 * <pre>
 * name, description, aliases          labels
 * down_blocks, up_blocks              {"resnets": [..], "attentions": [..]} for every block, or a list with one
 *                                     such object per teacher block (null for a dropped block); absent = keep all;
 *                                     "attentions" defaults to "resnets"
 * mid_block                           keep the mid block (default true)
 * drop_innermost_stage                drop the teacher's last down block and first up block (default false)
 * </pre>
 * Whether a spec fits a teacher is checked by {@link PrunePlan#derive}.
 */
public record PruneSpec(String name, String description, List<String> aliases, Blocks downBlocks, Blocks upBlocks,
        boolean midBlock, boolean dropInnermostStage, String source, ObjectNode json) {

    /** The built-in variants, in order of size. */
    public static final List<String> BUILT_INS = List.of("base", "small", "tiny");
    private static final Set<String> FIELDS = Set.of("name", "description", "aliases", "down_blocks", "up_blocks",
            "mid_block", "drop_innermost_stage");
    private static final Set<String> KEEP_FIELDS = Set.of("resnets", "attentions");

    public PruneSpec {
        aliases = List.copyOf(aliases);
        json = json.deepCopy();
    }

    @Override
    public ObjectNode json() {
        return json.deepCopy();
    }

    /**
     * The teacher indices of the resnets and attentions one block keeps (student layer i comes from teacher
     * resnet {@code resnets[i]} and attention {@code attentions[i]}).
     */
    public record Keep(List<Integer> resnets, List<Integer> attentions) {
        public Keep {
            resnets = List.copyOf(resnets);
            attentions = List.copyOf(attentions);
        }
    }

    /** One rule for every block ({@code all}), one per teacher block ({@code perBlock}, null = dropped), or neither (keep all). */
    public record Blocks(Keep all, List<Keep> perBlock) {
        public static final Blocks KEEP_ALL = new Blocks(null, null);

        public boolean keepsAll() {
            return all == null && perBlock == null;
        }
    }

    // ------------------------------------------------------------------ finding specs

    /** A built-in variant by name or alias (case-insensitive): base, small, tiny, sd_small, sd_tiny. */
    public static PruneSpec builtIn(String nameOrAlias) {
        return find(nameOrAlias).orElseThrow(() -> new PruneSpecException("no built-in prune variant \""
                + nameOrAlias + "\" (" + describeBuiltIns() + ")"));
    }

    private static Optional<PruneSpec> find(String nameOrAlias) {
        String want = nameOrAlias.toLowerCase(Locale.ROOT);
        return builtIns().stream().filter(s -> s.name().equals(want) || s.aliases().contains(want)).findFirst();
    }

    /** Every built-in variant, loaded from its resource. */
    public static List<PruneSpec> builtIns() {
        List<PruneSpec> out = new ArrayList<>();
        for (String n : BUILT_INS) {
            String res = "variants/" + n + ".json";
            try (InputStream in = PruneSpec.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + res + " missing from the jar");
                }
                out.add(parse("built-in variant " + n, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read resource " + res, e);
            }
        }
        return out;
    }

    /** "base, small, tiny; aliases sd_small = base, sd_tiny = tiny". */
    public static String describeBuiltIns() {
        StringBuilder names = new StringBuilder("built-in: ");
        StringBuilder aliases = new StringBuilder();
        for (PruneSpec s : builtIns()) {
            names.append(names.length() > 10 ? ", " : "").append(s.name());
            for (String a : s.aliases()) {
                aliases.append(aliases.length() > 0 ? ", " : "").append(a).append(" = ").append(s.name());
            }
        }
        return names + (aliases.length() > 0 ? "; aliases " + aliases : "");
    }

    /** A built-in name or alias, or else the path of a spec JSON file. */
    public static PruneSpec resolve(String variantOrFile) {
        Optional<PruneSpec> builtIn = find(variantOrFile);
        if (builtIn.isPresent()) {
            return builtIn.get();
        }
        Path p = Path.of(variantOrFile);
        if (Files.isRegularFile(p)) {
            return read(p);
        }
        throw new PruneSpecException("\"" + variantOrFile + "\" is neither a prune variant (" + describeBuiltIns()
                + ") nor an existing spec file");
    }

    public static PruneSpec read(Path file) {
        try {
            return parse(file.toString(), Files.readString(file));
        } catch (IOException e) {
            throw new PruneSpecException(file + ": cannot read the prune spec: " + e.getMessage(), e);
        }
    }

    /** Parses spec JSON; {@code source} names it in every message. */
    public static PruneSpec parse(String source, String text) {
        JsonNode root;
        try {
            root = ConfigReader.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new PruneSpecException(source + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(root instanceof ObjectNode o)) {
            throw new PruneSpecException(source + ": a prune spec is a JSON object");
        }
        unknown(source, "", o, FIELDS);
        String name = text(source, o, "name", defaultName(source));
        String description = text(source, o, "description", "");
        List<String> aliases = new ArrayList<>();
        JsonNode al = o.get("aliases");
        if (al != null && !al.isNull()) {
            if (!al.isArray()) {
                throw bad(source, "aliases", "must be a list of strings, found " + al);
            }
            for (JsonNode a : al) {
                if (!a.isTextual()) {
                    throw bad(source, "aliases", "must be a list of strings, found element " + a);
                }
                aliases.add(a.asText().toLowerCase(Locale.ROOT));
            }
        }
        return new PruneSpec(name, description, aliases, blocks(source, o, "down_blocks"),
                blocks(source, o, "up_blocks"), bool(source, o, "mid_block", true),
                bool(source, o, "drop_innermost_stage", false), source, o);
    }

    private static String defaultName(String source) {
        String f = Path.of(source).getFileName().toString();
        return f.endsWith(".json") ? f.substring(0, f.length() - 5) : f;
    }

    private static Blocks blocks(String source, ObjectNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return Blocks.KEEP_ALL;
        }
        if (v.isObject()) {
            return new Blocks(keep(source, field, (ObjectNode) v), null);
        }
        if (!v.isArray()) {
            throw bad(source, field, "must be {\"resnets\": [...]} for every block or a list with one such object (or"
                    + " null) per teacher block, found " + v);
        }
        List<Keep> per = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (e.isNull()) {
                per.add(null);
            } else if (e.isObject()) {
                per.add(keep(source, field + "[" + i + "]", (ObjectNode) e));
            } else {
                throw bad(source, field + "[" + i + "]", "must be {\"resnets\": [...]} or null, found " + e);
            }
        }
        return new Blocks(null, java.util.Collections.unmodifiableList(per));
    }

    private static Keep keep(String source, String where, ObjectNode o) {
        unknown(source, where + ".", o, KEEP_FIELDS);
        List<Integer> resnets = indices(source, where + ".resnets", o.get("resnets"));
        if (resnets == null) {
            throw bad(source, where + ".resnets", "is required (the teacher resnet indices to keep)");
        }
        if (resnets.isEmpty()) {
            throw bad(source, where + ".resnets", "is empty: a kept block needs at least one resnet (drop blocks with"
                    + " mid_block / drop_innermost_stage instead)");
        }
        List<Integer> attentions = indices(source, where + ".attentions", o.get("attentions"));
        return new Keep(resnets, attentions == null ? resnets : attentions);
    }

    private static List<Integer> indices(String source, String field, JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw bad(source, field, "must be a list of integers, found " + v);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw bad(source, field, "must be a list of integers, found element " + e);
            }
            out.add(e.asInt());
        }
        return out;
    }

    private static void unknown(String source, String prefix, ObjectNode o, Set<String> allowed) {
        Iterator<String> it = o.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw bad(source, prefix + f, "is not a prune spec field (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String text(String source, ObjectNode o, String field, String def) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            throw bad(source, field, "must be a string, found " + v);
        }
        return v.asText();
    }

    private static boolean bool(String source, ObjectNode o, String field, boolean def) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isBoolean()) {
            throw bad(source, field, "must be true or false, found " + v);
        }
        return v.asBoolean();
    }

    static PruneSpecException bad(String source, String field, String problem) {
        return new PruneSpecException(source + ": field `" + field + "` " + problem);
    }

    /** "base" or "my-spec (my-spec.json)". */
    public String label() {
        return source.startsWith("built-in") ? name : name + " (" + source + ")";
    }
}
