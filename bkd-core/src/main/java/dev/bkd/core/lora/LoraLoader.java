package dev.bkd.core.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.lora.LoraKeys.Parsed;
import dev.bkd.core.lora.LoraKeys.Part;
import dev.bkd.core.nn.AdaptableModule;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.Finite;
import dev.bkd.core.weights.NonFiniteException;
import dev.bkd.core.weights.SafetensorsStateDict;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a LoRA file (PEFT/diffusers, older diffusers or kohya layout; see {@link LoraKeys}) as a new named
 * adapter on model components ({@code unet}, {@code text_encoder}). kohya names are matched against the
 * model's own layer paths with '.' replaced by '_'. Alpha comes from a layer's {@code .alpha} tensor, else the
 * file's {@code lora_adapter_metadata}, else equals the rank (scale 1), as in diffusers. Everything is checked
 * before anything is attached: wrong shapes, a half adapter, DoRA or LoRA-bias tensors fail; keys that fit no
 * layer are reported (and logged), and fail the load when strict.
 */
public final class LoraLoader {
    private static final Logger LOG = LoggerFactory.getLogger(LoraLoader.class);

    private LoraLoader() {}

    /** A layer's three tensors in the file. */
    private static final class Group {
        String a;
        String b;
        String alpha;
        LoraFormat format;
    }

    /** One adapter to attach. */
    private record Placed(String component, String path, AdaptableModule module, String a, String b, String alpha,
            int rank) {}

    /**
     * Adds the LoRA at {@code path} (a file, or a folder holding {@value LoraFiles#WEIGHT_NAME}) to
     * {@code components} as adapter {@code name} with user scale {@code scale}.
     *
     * @throws LoraFileException on keys that cannot be used, or (strict) that fit nowhere
     */
    public static LoraLoadReport load(Path path, Map<String, ? extends Module> components, String name,
            double scale, boolean strict) {
        if (!Double.isFinite(scale)) {
            throw new LoraException("LoRA scale must be finite, got " + scale);
        }
        for (Module m : components.values()) {
            Lora.checkNewName(m, name);
        }
        Path file = LoraFiles.resolve(path);
        String source = file.toString();
        try (StateDict sd = StateDicts.open(file)) {
            String meta = sd instanceof SafetensorsStateDict s ? s.file().metadata().get(LoraMetadata.KEY) : null;
            LoraMetadata metadata = LoraMetadata.parse(meta, source);
            List<String> unplaced = new ArrayList<>();
            Set<LoraFormat> formats = EnumSet.noneOf(LoraFormat.class);
            Map<String, Map<String, Group>> groups = group(sd, source, unplaced, formats);
            List<String> errors = new ArrayList<>();
            List<Placed> placed = place(sd, groups, components, unplaced, errors);
            if (!errors.isEmpty()) {
                throw new LoraFileException(source + ": LoRA tensors do not fit the model:\n  "
                        + String.join("\n  ", errors), null);
            }
            Map<String, Integer> counts = new TreeMap<>();
            placed.forEach(p -> counts.merge(p.component(), 1, Integer::sum));
            List<String> notes = notes(placed, metadata);
            LoraLoadReport report = new LoraLoadReport(source, name, formats, counts, unplaced, notes);
            if (placed.isEmpty()) {
                throw new LoraFileException(source + ": no LoRA layer in the file fits the model\n"
                        + report.describe(), report);
            }
            if (strict && !report.clean()) {
                throw new LoraFileException(source + ": strict LoRA load failed\n" + report.describe(), report);
            }
            attach(sd, placed, metadata, name, scale, source);
            if (!report.clean() || !notes.isEmpty()) {
                LOG.warn(report.describe());
            }
            return report;
        }
    }

    /** Sorts keys into component -> layer -> A/B/alpha; DoRA and LoRA-bias tensors fail at once. */
    private static Map<String, Map<String, Group>> group(StateDict sd, String source, List<String> unplaced,
            Set<LoraFormat> formats) {
        Map<String, Map<String, Group>> out = new LinkedHashMap<>();
        for (String key : sd.keys()) {
            if (key.contains("lora_magnitude_vector") || key.endsWith(".lora_B.bias")) {
                throw new LoraFileException(source + ": `" + key + "` is a DoRA / LoRA-bias tensor;"
                        + " bkd applies plain LoRA only and would give a wrong result without it", null);
            }
            Parsed p = LoraKeys.parse(key);
            if (p == null) {
                unplaced.add(key + " (not a LoRA A/B/alpha tensor bkd knows)");
                continue;
            }
            Group g = out.computeIfAbsent(p.component(), c -> new LinkedHashMap<>())
                    .computeIfAbsent(p.layer(), l -> new Group());
            if (p.part() == Part.ALPHA) {
                g.alpha = key;
            } else {
                if ((p.part() == Part.A ? g.a : g.b) != null) {
                    throw new LoraFileException(source + ": two tensors for the same LoRA part: `" + key
                            + "` and `" + (p.part() == Part.A ? g.a : g.b) + "`", null);
                }
                if (p.part() == Part.A) {
                    g.a = key;
                } else {
                    g.b = key;
                }
                g.format = p.format();
                formats.add(p.format());
            }
        }
        return out;
    }

    private static List<Placed> place(StateDict sd, Map<String, Map<String, Group>> groups,
            Map<String, ? extends Module> components, List<String> unplaced, List<String> errors) {
        List<Placed> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Group>> c : groups.entrySet()) {
            Module root = components.get(c.getKey());
            Map<String, AdaptableModule> layers = root == null ? Map.of() : Lora.adaptable(root);
            Map<String, String> kohya = kohyaIndex(layers.keySet());
            for (Map.Entry<String, Group> e : c.getValue().entrySet()) {
                Group g = e.getValue();
                String path = g.format == LoraFormat.KOHYA ? kohya.get(e.getKey()) : e.getKey();
                AdaptableModule m = path == null ? null : layers.get(path);
                String why = root == null ? "no " + c.getKey() + " to apply it to"
                        : m == null ? "no such Linear/Conv2d in " + c.getKey()
                        : g.a == null || g.b == null ? "lora A and B must come together" : null;
                if (why != null) {
                    for (String k : new String[] {g.a, g.b, g.alpha}) {
                        if (k != null) {
                            unplaced.add(k + " (" + why + ")");
                        }
                    }
                    continue;
                }
                LoraLayer.checkKind(m, path);
                Shape a = sd.spec(g.a).shape();
                int r = a.dimension() >= 2 ? Math.toIntExact(a.get(0)) : -1;
                Shape wantA = LoraLayer.shapeA(m, Math.max(r, 1));
                Shape wantB = LoraLayer.shapeB(m, Math.max(r, 1));
                if (r < 1 || !fits(a, wantA)) {
                    errors.add(g.a + ": shape " + a + ", the layer " + c.getKey() + "." + path + " needs " + wantA);
                } else if (!fits(sd.spec(g.b).shape(), wantB)) {
                    errors.add(g.b + ": shape " + sd.spec(g.b).shape() + ", the layer " + c.getKey() + "." + path
                            + " needs " + wantB + " (rank " + r + " from " + g.a + ")");
                } else {
                    out.add(new Placed(c.getKey(), path, m, g.a, g.b, g.alpha, r));
                }
            }
        }
        return out;
    }

    /** kohya name -> path; names two paths share are left out (they cannot be placed). */
    private static Map<String, String> kohyaIndex(Set<String> paths) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> clash = new HashSet<>();
        for (String p : paths) {
            String k = LoraKeys.kohyaName(p);
            if (out.putIfAbsent(k, p) != null) {
                clash.add(k);
            }
        }
        clash.forEach(out::remove);
        return out;
    }

    /** Equal shapes, or equal once trailing 1x1 kernel dims are dropped (a 1x1 conv stored as linear or back). */
    static boolean fits(Shape have, Shape want) {
        return have.equals(want) || dropKernel(have).equals(dropKernel(want));
    }

    private static Shape dropKernel(Shape s) {
        return s.dimension() == 4 && s.get(2) == 1 && s.get(3) == 1 ? new Shape(s.get(0), s.get(1)) : s;
    }

    private static List<String> notes(List<Placed> placed, LoraMetadata metadata) {
        List<String> notes = new ArrayList<>();
        Map<String, Set<Integer>> ranks = new TreeMap<>();
        for (Placed p : placed) {
            if (p.alpha() == null && (metadata == null || !metadata.has(p.component()))) {
                ranks.computeIfAbsent(p.component(), c -> new HashSet<>()).add(p.rank());
            }
        }
        ranks.forEach((c, r) -> {
            if (r.size() > 1) {
                notes.add(c + ": ranks " + r + " with no alpha recorded; alpha = rank (scale 1) on each layer,"
                        + " where diffusers would use one alpha for all");
            }
        });
        return notes;
    }

    /** Loads the tensors (all or none) and attaches them. */
    private static void attach(StateDict sd, List<Placed> placed, LoraMetadata metadata, String name, double scale,
            String source) {
        List<LoraWeights> made = new ArrayList<>();
        try {
            for (Placed p : placed) {
                NDArray w = LoraLayer.weightOf(p.module());
                NDManager home = w.getManager();
                NDArray a = fitted(sd.load(p.a(), home), LoraLayer.shapeA(p.module(), p.rank()), w.getDataType());
                NDArray b = fitted(sd.load(p.b(), home), LoraLayer.shapeB(p.module(), p.rank()), w.getDataType());
                try {
                    checkFinite(a, source, p.a());
                    checkFinite(b, source, p.b());
                } catch (LoraFileException e) {
                    a.close();
                    b.close();
                    throw e;
                }
                double alpha = p.alpha() != null ? alphaTensor(sd, p, home, source)
                        : metadata == null ? p.rank() : metadata.alpha(p.component(), p.path(), p.rank());
                LoraWeights lw = new LoraWeights(name, a, b, alpha);
                lw.setScale(scale);
                made.add(lw);
            }
        } catch (RuntimeException e) {
            made.forEach(LoraWeights::close);
            throw e;
        }
        for (int i = 0; i < placed.size(); i++) {
            LoraLayer.on(placed.get(i).module(), placed.get(i).path()).add(made.get(i));
        }
    }

    /** One NaN in a LoRA tensor turns every image black; refuse the file at load, naming the tensor. */
    private static void checkFinite(NDArray t, String source, String key) {
        try {
            Finite.require(t, "`" + key + "`");
        } catch (NonFiniteException e) {
            throw new LoraFileException(source + ": " + e.getMessage() + "; the LoRA file is corrupt", null);
        }
    }

    /** kohya's alpha scalar; 0 means "alpha = rank", as sd-scripts reads it. */
    private static double alphaTensor(StateDict sd, Placed p, NDManager home, String source) {
        if (sd.spec(p.alpha()).shape().size() != 1) {
            throw new LoraFileException(source + ": `" + p.alpha() + "` has shape " + sd.spec(p.alpha()).shape()
                    + ", a LoRA alpha is one number", null);
        }
        double alpha;
        try (NDArray t = sd.load(p.alpha(), home); NDArray d = t.toType(DataType.FLOAT64, true)) {
            alpha = d.toDoubleArray()[0];
        }
        if (!Double.isFinite(alpha)) {
            throw new LoraFileException(source + ": `" + p.alpha() + "` is " + alpha, null);
        }
        return alpha == 0 ? p.rank() : alpha;
    }

    private static NDArray fitted(NDArray a, Shape shape, DataType dtype) {
        NDArray out = a;
        if (!out.getShape().equals(shape)) {
            out = out.reshape(shape);
            a.close();
        }
        if (out.getDataType() != dtype) {
            NDArray cast = out.toType(dtype, false);
            out.close();
            out = cast;
        }
        return out;
    }
}
