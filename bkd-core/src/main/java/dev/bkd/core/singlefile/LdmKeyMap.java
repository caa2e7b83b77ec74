package dev.bkd.core.singlefile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The key map of one component, expanded from the rules file: diffusers key to single-file key (export) and
 * back (import; one fused OpenCLIP tensor gives three diffusers tensors). Keys here are without the
 * component's file prefix ({@link LdmComponent#prefix()}).
 */
public final class LdmKeyMap {
    /** A diffusers tensor's place in the file: the file key and how to transform it. */
    public record Target(String key, KeyOp op) {}

    private final LdmComponent component;
    private final List<KeyRules.Pair> byDiffusers;
    private final List<KeyRules.Pair> byFile;
    private final KeyRules rules = KeyRules.get();

    private LdmKeyMap(LdmComponent component, List<KeyRules.Pair> pairs) {
        this.component = component;
        // longest name first, so the most specific rule wins (exact keys before the prefixes that contain them)
        this.byDiffusers = pairs.stream().sorted(Comparator.comparingInt((KeyRules.Pair p) -> -p.diffusers().length()))
                .toList();
        this.byFile = pairs.stream().sorted(Comparator.comparingInt((KeyRules.Pair p) -> -p.file().length())).toList();
    }

    /** The map of {@code component}; {@code textLayers} is the text encoder's num_hidden_layers (OpenCLIP only). */
    public static LdmKeyMap of(LdmComponent component, int textLayers) {
        return new LdmKeyMap(component, KeyRules.get().expand(component.rulesName(), textLayers));
    }

    public LdmComponent component() {
        return component;
    }

    /** Where the diffusers tensor {@code key} goes in the file, or empty when the layout has no place for it. */
    public Optional<Target> toFile(String key) {
        for (KeyRules.Pair p : byDiffusers) {
            if (!matches(key, p.diffusers())) {
                continue;
            }
            String rest = key.substring(p.diffusers().length());
            if (p.group().equals("-")) {
                return Optional.of(new Target(p.file() + rest, KeyOp.COPY));
            }
            for (KeyRules.Inner in : rules.groups.get(p.group())) {
                if (matches(rest, in.diffusers())) {
                    return Optional.of(new Target(p.file() + in.file() + rest.substring(in.diffusers().length()),
                            in.op()));
                }
            }
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The diffusers tensors inside the file tensor {@code key} (empty when the map has no place for it). */
    public List<Source> fromFile(String key) {
        List<Source> out = new ArrayList<>();
        for (KeyRules.Pair p : byFile) {
            if (!matches(key, p.file())) {
                continue;
            }
            String rest = key.substring(p.file().length());
            if (p.group().equals("-")) {
                out.add(new Source(p.diffusers() + rest, KeyOp.COPY));
                return out;
            }
            for (KeyRules.Inner in : rules.groups.get(p.group())) {
                if (matches(rest, in.file())) {
                    out.add(new Source(p.diffusers() + in.diffusers() + rest.substring(in.file().length()), in.op()));
                }
            }
            return out;
        }
        return out;
    }

    /** A diffusers key read from a file tensor with {@code op}. */
    public record Source(String diffusersKey, KeyOp op) {}

    /** True when a full single-file key is one real files carry that no model uses (schedule buffers, EMA...). */
    public static boolean ignorable(String fullKey) {
        return KeyRules.get().ignored.stream().anyMatch(p -> p.matcher(fullKey).matches());
    }

    private static boolean matches(String key, String name) {
        return name.endsWith(".") ? key.startsWith(name) : key.equals(name);
    }
}
