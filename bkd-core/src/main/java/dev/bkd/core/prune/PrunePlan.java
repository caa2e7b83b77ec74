package dev.bkd.core.prune;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.prune.PruneSpec.Blocks;
import dev.bkd.core.prune.PruneSpec.Keep;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.RenamedStateDict;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A {@link PruneSpec} applied to a teacher config: the student's config, the table of which teacher block each
 * student block comes from, every student tensor's teacher tensor (same shape, each teacher tensor used at most
 * once) and the teacher blocks that go. Built from declared shapes only; no weights are touched.
 */
public final class PrunePlan {
    /** The config key recording where a student came from; diffusers ignores keys starting with "_". */
    public static final String LINEAGE_KEY = "_bkd_pruned_from";

    /** Student block {@code student} comes from teacher block {@code teacher}; its layer i from these teacher indices. */
    public record BlockMap(String student, String teacher, List<Integer> resnets, List<Integer> attentions) {}

    private final PruneSpec spec;
    private final UNet2DConditionConfig teacher;
    private final UNet2DConditionConfig student;
    private final List<BlockMap> blocks;
    private final Map<String, String> keyMap;
    private final Map<String, Shape> shapes;
    private final List<String> removed;
    private final long teacherParameters;
    private final long studentParameters;

    private PrunePlan(PruneSpec spec, UNet2DConditionConfig teacher, UNet2DConditionConfig student,
            List<BlockMap> blocks, Map<String, String> keyMap, Map<String, Shape> shapes, List<String> removed,
            long teacherParameters, long studentParameters) {
        this.spec = spec;
        this.teacher = teacher;
        this.student = student;
        this.blocks = List.copyOf(blocks);
        this.keyMap = Collections.unmodifiableMap(keyMap);
        this.shapes = Collections.unmodifiableMap(shapes);
        this.removed = List.copyOf(removed);
        this.teacherParameters = teacherParameters;
        this.studentParameters = studentParameters;
    }

    public PruneSpec spec() {
        return spec;
    }

    public UNet2DConditionConfig teacher() {
        return teacher;
    }

    /** The student's config (without the lineage record; see {@link #studentConfig(String)}). */
    public UNet2DConditionConfig student() {
        return student;
    }

    /** Which teacher block and indices each student down/up block comes from (the mid block maps to itself). */
    public List<BlockMap> blocks() {
        return blocks;
    }

    /** Student state-dict key -> teacher key, in the student's tree order. */
    public Map<String, String> keyMap() {
        return keyMap;
    }

    /** Teacher modules that have no student counterpart ({@code mid_block}, {@code down_blocks.0.resnets.1}, ...). */
    public List<String> removed() {
        return removed;
    }

    public long teacherParameters() {
        return teacherParameters;
    }

    public long studentParameters() {
        return studentParameters;
    }

    // ------------------------------------------------------------------ derivation

    /** Applies {@code spec} to {@code teacher}; every way the spec does not fit is a {@link PruneSpecException}. */
    public static PrunePlan derive(UNet2DConditionConfig teacher, PruneSpec spec) {
        String src = spec.source();
        int n = teacher.numBlocks();
        boolean drop = spec.dropInnermostStage();
        if (drop && n < 2) {
            throw PruneSpec.bad(src, "drop_innermost_stage", "needs a teacher with at least 2 stages; it has " + n);
        }
        int ns = drop ? n - 1 : n;
        int shift = drop ? 1 : 0;
        List<BlockMap> maps = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        int[] layers = new int[ns];
        checkLength(src, "down_blocks", spec.downBlocks(), n);
        checkLength(src, "up_blocks", spec.upBlocks(), n);
        for (int t = 0; t < n; t++) {
            int count = teacher.layersPerBlock().get(t);
            Keep k = side(src, "down_blocks", spec.downBlocks(), t, drop && t == n - 1, count,
                    teacher.downBlockTypes().get(t).crossAttention, removed);
            if (k == null) {
                continue;
            }
            layers[t] = k.resnets().size();
            maps.add(new BlockMap("down_blocks." + t, "down_blocks." + t, k.resnets(), k.attentions()));
            if (drop && t == ns - 1) {
                removed.add("down_blocks." + t + ".downsamplers.0"); // the new last down block has no downsampler
            }
        }
        if (teacher.midBlockType() != null && !spec.midBlock()) {
            removed.add("mid_block");
        }
        for (int t = 0; t < n; t++) {
            int mirror = n - 1 - t; // the down block this up block mirrors (same index in teacher and student)
            Keep k = side(src, "up_blocks", spec.upBlocks(), t, drop && t == 0, teacher.layersPerBlock().get(mirror) + 1,
                    teacher.upBlockTypes().get(t).crossAttention, removed);
            if (k == null) {
                continue;
            }
            if (k.resnets().size() != layers[mirror] + 1) {
                throw PruneSpec.bad(src, where("up_blocks", spec.upBlocks(), t) + ".resnets", "keeps "
                        + k.resnets().size() + " resnets of teacher up_blocks." + t + ", but diffusers builds"
                        + " layers_per_block + 1 = " + (layers[mirror] + 1) + " resnets in the up block mirroring"
                        + " down block " + mirror + " (which keeps " + layers[mirror] + ")");
            }
            maps.add(new BlockMap("up_blocks." + (t - shift), "up_blocks." + t, k.resnets(), k.attentions()));
        }
        UNet2DConditionConfig student = studentConfig(teacher, spec, ns, layers);
        return bind(spec, teacher, student, maps, removed);
    }

    /**
     * Teacher block {@code field.t}: null when it is dropped, else its checked kept indices; what goes (the
     * whole block, or its unkept resnets and attentions) is added to {@code removed}.
     */
    private static Keep side(String src, String field, Blocks b, int t, boolean isDropped, int count,
            boolean hasAttention, List<String> removed) {
        String where = where(field, b, t);
        String path = field + "." + t;
        if (dropped(src, b, t, isDropped, where)) {
            removed.add(path);
            return null;
        }
        Keep k = resolve(src, where, b, t, count, hasAttention, path);
        removed.addAll(unkept(path, count, k, hasAttention));
        return k;
    }

    /** The spec field naming block t: "down_blocks" for a rule for every block, "down_blocks[2]" per block. */
    private static String where(String field, Blocks b, int t) {
        return field + (b.perBlock() != null ? "[" + t + "]" : "");
    }

    private static void checkLength(String src, String field, Blocks b, int n) {
        if (b.perBlock() != null && b.perBlock().size() != n) {
            throw PruneSpec.bad(src, field, "has " + b.perBlock().size() + " entries but the teacher has " + n
                    + " " + field.replace('_', ' ') + " (give one per teacher block, null for a dropped one)");
        }
    }

    /** True when block t is dropped; a per-block spec must say so with null, and only there. */
    private static boolean dropped(String src, Blocks b, int t, boolean isDropped, String where) {
        boolean isNull = b.perBlock() != null && b.perBlock().get(t) == null;
        if (isDropped && b.perBlock() != null && !isNull) {
            throw PruneSpec.bad(src, where, "describes a block that drop_innermost_stage removes; give null");
        }
        if (!isDropped && isNull) {
            throw PruneSpec.bad(src, where, "is null, but only the innermost stage can be dropped (set"
                    + " drop_innermost_stage); give {\"resnets\": [...]}");
        }
        return isDropped;
    }

    /** The block's kept indices, negative ones resolved against the teacher's {@code count}, checked. */
    private static Keep resolve(String src, String where, Blocks b, int t, int count, boolean hasAttention,
            String path) {
        Keep k = b.keepsAll() ? null : b.all() != null ? b.all() : b.perBlock().get(t);
        if (k == null) {
            List<Integer> all = IntStream.range(0, count).boxed().toList();
            return new Keep(all, hasAttention ? all : List.of());
        }
        List<Integer> r = indices(src, where + ".resnets", k.resnets(), count, path, "resnets");
        if (!hasAttention) {
            return new Keep(r, List.of());
        }
        List<Integer> a = indices(src, where + ".attentions", k.attentions(), count, path, "attentions");
        if (a.size() != r.size()) {
            throw PruneSpec.bad(src, where + ".attentions", "keeps " + a.size() + " attentions but " + r.size()
                    + " resnets; diffusers' " + path + " pairs one attention with each resnet");
        }
        return new Keep(r, a);
    }

    private static List<Integer> indices(String src, String field, List<Integer> raw, int count, String path,
            String what) {
        List<Integer> out = new ArrayList<>();
        for (int i : raw) {
            int r = i < 0 ? count + i : i;
            if (r < 0 || r >= count) {
                throw PruneSpec.bad(src, field, "index " + i + " is out of range: teacher " + path + " has " + count
                        + " " + what + " (0.." + (count - 1) + ", or -" + count + "..-1 from the end)");
            }
            if (!out.isEmpty() && r <= out.get(out.size() - 1)) {
                throw PruneSpec.bad(src, field, "must name each teacher index once, in increasing order; found "
                        + raw);
            }
            out.add(r);
        }
        return out;
    }

    private static List<String> unkept(String path, int count, Keep k, boolean hasAttention) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!k.resnets().contains(i)) {
                out.add(path + ".resnets." + i);
            }
            if (hasAttention && !k.attentions().contains(i)) {
                out.add(path + ".attentions." + i);
            }
        }
        return out;
    }

    /** The teacher's config with the per-block lists cut to the kept stages, new depths and mid block. */
    private static UNet2DConditionConfig studentConfig(UNet2DConditionConfig t, PruneSpec spec, int ns, int[] layers) {
        int n = t.numBlocks();
        List<UNetBlockType> up = t.upBlockTypes().subList(n - ns, n);
        UNet2DConditionConfig.Builder b = t.toBuilder()
                .set("block_out_channels", t.blockOutChannels().subList(0, ns))
                .set("down_block_types", names(t.downBlockTypes().subList(0, ns)))
                .set("up_block_types", names(up))
                .set("layers_per_block", IntStream.of(layers).boxed().toList())
                .set("attention_head_dim", t.attentionHeadDim().subList(0, ns))
                .set("cross_attention_dim", t.crossAttentionDim().subList(0, ns))
                .set("transformer_layers_per_block", t.transformerLayersPerBlock().subList(0, ns))
                .set("only_cross_attention", t.onlyCrossAttention().subList(0, ns));
        if (!spec.midBlock()) {
            b.midBlockType(null);
        }
        try {
            return b.build();
        } catch (ConfigException e) {
            throw new PruneSpecException(spec.source() + ": the student config would be invalid: " + e.getMessage(), e);
        }
    }

    private static List<String> names(List<UNetBlockType> types) {
        return types.stream().map(Enum::name).toList();
    }

    /** Maps every student tensor to its teacher tensor and checks shapes, injectivity and the removed list. */
    private static PrunePlan bind(PruneSpec spec, UNet2DConditionConfig teacher, UNet2DConditionConfig student,
            List<BlockMap> maps, List<String> removed) {
        UNet2DConditionModel tTree = new UNet2DConditionModel(teacher);
        UNet2DConditionModel sTree = new UNet2DConditionModel(student);
        Map<String, Weights.Slot> tSlots = Weights.slots(tTree);
        Map<String, String> keyMap = new LinkedHashMap<>();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(sTree).entrySet()) {
            String sk = e.getKey();
            String tk = teacherKey(sk, maps);
            Weights.Slot ts = tSlots.get(tk);
            Shape want = e.getValue().shape();
            if (ts == null) {
                problems.add("student `" + sk + "` would come from `" + tk + "`, which the teacher does not have");
            } else if (!ts.shape().equals(want)) {
                problems.add("student `" + sk + "` " + want + " would come from teacher `" + tk + "` " + ts.shape());
            } else if (!used.add(tk)) {
                throw new IllegalStateException("teacher tensor " + tk + " mapped twice");
            }
            keyMap.put(sk, tk);
            shapes.put(sk, want);
        }
        if (!problems.isEmpty()) {
            throw new PruneSpecException(spec.source() + ": does not fit this teacher: " + problems.size()
                    + " student tensors have no same-shaped teacher tensor (channel widths differ where blocks are"
                    + " joined), e.g. " + String.join("; ", problems.subList(0, Math.min(3, problems.size()))));
        }
        for (String tk : tSlots.keySet()) {
            boolean isRemoved = removed.stream().anyMatch(r -> tk.startsWith(r + "."));
            if (used.contains(tk) == isRemoved) {
                throw new IllegalStateException("plan inconsistent at teacher tensor " + tk + " (used " + used.contains(tk)
                        + ", listed as removed " + isRemoved + ")");
            }
        }
        return new PrunePlan(spec, teacher, student, maps, keyMap, shapes, removed, Weights.parameterCount(tTree),
                Weights.parameterCount(sTree));
    }

    /** The teacher key of student key {@code sk} through the block table (keys outside blocks map to themselves). */
    private static String teacherKey(String sk, List<BlockMap> maps) {
        for (BlockMap m : maps) {
            if (!sk.startsWith(m.student() + ".")) {
                continue;
            }
            String rest = sk.substring(m.student().length() + 1);
            String[] p = rest.split("\\.", 3);
            if (p.length == 3 && (p[0].equals("resnets") || p[0].equals("attentions"))) {
                List<Integer> idx = p[0].equals("resnets") ? m.resnets() : m.attentions();
                rest = p[0] + "." + idx.get(Integer.parseInt(p[1])) + "." + p[2];
            }
            return m.teacher() + "." + rest;
        }
        return sk;
    }

    // ------------------------------------------------------------------ results

    /** The student config carrying the lineage record under {@link #LINEAGE_KEY}. */
    public UNet2DConditionConfig studentConfig(String teacherName) {
        return student.toBuilder().set(LINEAGE_KEY, lineage(teacherName)).build();
    }

    /** The lineage record of a config, or null for a model bkd did not prune. */
    public static ObjectNode lineageOf(UNet2DConditionConfig config) {
        return config.extras().get(LINEAGE_KEY) instanceof ObjectNode o ? o : null;
    }

    /** {variant, teacher, removed_blocks, parameter counts, spec}. */
    public ObjectNode lineage(String teacherName) {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("variant", spec.name());
        o.put("teacher", teacherName);
        ArrayNode r = o.putArray("removed_blocks");
        removed.forEach(r::add);
        o.put("teacher_parameters", teacherParameters);
        o.put("student_parameters", studentParameters);
        o.set("spec", spec.json());
        return o;
    }

    /**
     * The student's weights as a view of the teacher's: student keys, each read from its teacher tensor. Fails
     * naming {@code source} when the teacher weights lack a tensor or disagree with the teacher config's shapes.
     */
    public StateDict studentWeights(StateDict teacherWeights, String source) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : keyMap.entrySet()) {
            String tk = e.getValue();
            if (!teacherWeights.contains(tk)) {
                problems.add("`" + tk + "` is missing");
            } else if (!teacherWeights.spec(tk).shape().equals(shapes.get(e.getKey()))) {
                problems.add("`" + tk + "` has shape " + teacherWeights.spec(tk).shape() + " but the teacher config"
                        + " needs " + shapes.get(e.getKey()));
            }
        }
        if (!problems.isEmpty()) {
            throw new PruneException("teacher weights " + source + " do not match the teacher config: " + problems.size()
                    + " problems, e.g. " + String.join("; ", problems.subList(0, Math.min(3, problems.size()))));
        }
        return RenamedStateDict.view(teacherWeights, keyMap);
    }
}
