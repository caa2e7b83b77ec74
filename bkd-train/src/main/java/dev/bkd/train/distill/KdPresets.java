package dev.bkd.train.distill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.prune.PruneSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The feature-pair presets of {@code kd_presets.json} (BK-SDM's and Segmind's tables) and custom pair files of
 * the same shape: {@code {"lambda": {"task": 1, "out": 0.5, "feat": 0.5}, "pairs": [["teacher", "student"], ...]}}
 * (either field may be left out).
 */
public final class KdPresets {
    /** The preset used when none is named. */
    public static final String DEFAULT = "bk-sdm";
    private static final String RESOURCE = "kd_presets.json";
    private static final ConfigReader TABLE = load();

    private KdPresets() {}

    private static ConfigReader load() {
        try (InputStream in = KdPresets.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the bkd-train jar");
            }
            return ConfigReader.parse(RESOURCE, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The preset names ({@code bk-sdm}, {@code segmind}). */
    public static List<String> names() {
        List<String> out = new ArrayList<>();
        TABLE.raw("presets").fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The prune variant's own name for a built-in name or alias ({@code sd_tiny} is {@code tiny}), else as given. */
    public static String canonicalVariant(String variant) {
        String v = variant.toLowerCase(Locale.ROOT);
        return PruneSpec.builtIns().stream().filter(s -> s.name().equals(v) || s.aliases().contains(v))
                .map(PruneSpec::name).findFirst().orElse(variant);
    }

    /** The weights and pairs of {@code preset} for student {@code variant}; unknown names list the known ones. */
    public static KdSpec resolve(String preset, String variant) {
        JsonNode p = preset(preset);
        String v = canonicalVariant(variant);
        JsonNode pairs = p.get("pairs").get(v);
        if (pairs == null) {
            List<String> have = new ArrayList<>();
            p.get("pairs").fieldNames().forEachRemaining(have::add);
            throw new ConfigException("KD preset `" + preset + "` has no feature pairs for variant `" + variant
                    + "` (it has " + have + "); give the pairs with --pairs FILE.json or --pair TEACHER=STUDENT");
        }
        String label = RESOURCE + " " + preset + "/" + v;
        return new KdSpec(preset + "/" + v, lambda(label, p.get("lambda"), null), pairs(label, pairs));
    }

    /**
     * The spec a run uses: {@code preset}'s weights and its pairs for {@code variant} (null when unknown), then
     * whatever {@code pairsFile} sets, then {@code pairs} (replacing all others when not empty), then the λs that
     * are not null.
     */
    public static KdSpec spec(String preset, String variant, Path pairsFile, List<FeaturePair> pairs, Double task,
                              Double out, Double feat) {
        boolean fileHasPairs = pairsFile != null && ConfigReader.read(pairsFile).raw("pairs") != null;
        KdSpec s;
        if (fileHasPairs || !pairs.isEmpty()) {
            JsonNode p = preset(preset);
            s = new KdSpec(preset, lambda(RESOURCE + " " + preset, p.get("lambda"), null), List.of());
        } else if (variant == null) {
            throw new ConfigException("cannot choose feature pairs: the student's variant is not known (it was not"
                    + " pruned by bkd); name it with --variant base|small|tiny or give --pairs FILE.json");
        } else {
            s = resolve(preset, variant);
        }
        if (pairsFile != null) {
            s = applyFile(s, pairsFile);
        }
        if (!pairs.isEmpty()) {
            s = s.withPairs(pairs, "--pair");
        }
        return s.withWeights(s.weights().with(task, out, feat));
    }

    private static JsonNode preset(String name) {
        JsonNode p = TABLE.raw("presets").get(name.toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new ConfigException("KD preset `" + name + "` is not known; use one of " + names());
        }
        return p;
    }

    /** {@code base} with the λs and pairs that {@code file} sets replacing the preset's. */
    public static KdSpec applyFile(KdSpec base, Path file) {
        ConfigReader r = ConfigReader.read(file);
        KdSpec out = base;
        if (r.raw("lambda") != null) {
            out = out.withWeights(lambda(r.label(), r.raw("lambda"), base.weights()));
        }
        if (r.raw("pairs") != null) {
            out = out.withPairs(pairs(r.label(), r.raw("pairs")), file.toString());
        }
        if (r.raw("lambda") == null && r.raw("pairs") == null) {
            throw r.error("pairs", "is missing: a pairs file sets `pairs` ([[teacher, student], ...]) and/or"
                    + " `lambda` ({\"task\", \"out\", \"feat\"})");
        }
        return out;
    }

    private static LossWeights lambda(String label, JsonNode n, LossWeights defaults) {
        if (n == null || !n.isObject()) {
            throw new ConfigException(label + ": field `lambda` must be an object with task, out and feat");
        }
        n.fieldNames().forEachRemaining(k -> {
            if (!List.of("task", "out", "feat").contains(k)) {
                throw new ConfigException(label + ": field `lambda." + k + "` is not known (use task, out, feat)");
            }
        });
        return new LossWeights(weight(label, n, "task", defaults == null ? null : defaults.task()),
                weight(label, n, "out", defaults == null ? null : defaults.out()),
                weight(label, n, "feat", defaults == null ? null : defaults.feat()));
    }

    private static double weight(String label, JsonNode lambda, String key, Double def) {
        JsonNode v = lambda.get(key);
        if (v == null && def != null) {
            return def;
        }
        if (v == null || !v.isNumber()) {
            throw new ConfigException(label + ": field `lambda." + key + "` must be a number, found " + v);
        }
        return v.asDouble();
    }

    private static List<FeaturePair> pairs(String label, JsonNode arr) {
        if (!arr.isArray()) {
            throw new ConfigException(label + ": field `pairs` must be a list of [teacher, student] module paths");
        }
        List<FeaturePair> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode p = arr.get(i);
            if (!p.isArray() || p.size() != 2 || !p.get(0).isTextual() || !p.get(1).isTextual()) {
                throw new ConfigException(label + ": `pairs[" + i + "]` must be [\"teacher path\", \"student path\"],"
                        + " found " + p);
            }
            try {
                out.add(new FeaturePair(p.get(0).asText(), p.get(1).asText()));
            } catch (ConfigException e) {
                throw new ConfigException(label + ": `pairs[" + i + "]`: " + e.getMessage());
            }
        }
        return out;
    }
}
