package dev.bkd.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.UNetBlockType.Stage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * diffusers {@code UNet2DConditionModel} config ({@code unet/config.json}). Absent fields take the diffusers
 * class defaults (SD1.5's file holds only a few keys). Per-block fields are normalised to one entry per
 * block. {@code attention_head_dim} is the number of heads per block, as diffusers reads it
 * ({@code num_attention_heads or attention_head_dim}); each block's head width is its channels / heads.
 * Fields that would change the maths in ways bkd does not implement are rejected by name; unknown fields
 * are kept in {@link #extras()} and written back. Derive modified copies with {@link #toBuilder()}.
 */
public record UNet2DConditionConfig(
        List<Integer> sampleSize,
        int inChannels,
        int outChannels,
        boolean centerInputSample,
        boolean flipSinToCos,
        int freqShift,
        List<UNetBlockType> downBlockTypes,
        UNetBlockType midBlockType,
        List<UNetBlockType> upBlockTypes,
        List<Boolean> onlyCrossAttention,
        List<Integer> blockOutChannels,
        List<Integer> layersPerBlock,
        int downsamplePadding,
        double midBlockScaleFactor,
        double dropout,
        String actFn,
        int normNumGroups,
        double normEps,
        List<Integer> crossAttentionDim,
        List<Integer> transformerLayersPerBlock,
        List<Integer> attentionHeadDim,
        boolean useLinearProjection,
        boolean upcastAttention,
        Integer timeEmbeddingDim,
        String timeEmbeddingActFn,
        String timestepPostAct,
        int convInKernel,
        int convOutKernel,
        ObjectNode extras) {

    public static final String CLASS_NAME = "UNet2DConditionModel";
    /** The diffusers version bkd's UNet is verified against (written when a config has none). */
    public static final String DIFFUSERS_VERSION = "0.40.0";
    /** Label of configs built in code; {@link #from} swaps it for the file's label. */
    private static final String SELF = "UNet2DConditionConfig";
    private static final List<String> ACTIVATIONS = List.of("silu", "swish", "gelu");
    private static final Map<String, String> PRESETS = Map.of(
            "sd15", "runwayml/stable-diffusion-v1-5",
            "sd21", "stabilityai/stable-diffusion-2-1");

    public UNet2DConditionConfig {
        sampleSize = sampleSize == null ? null : List.copyOf(sampleSize);
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        onlyCrossAttention = List.copyOf(onlyCrossAttention);
        blockOutChannels = List.copyOf(blockOutChannels);
        layersPerBlock = List.copyOf(layersPerBlock);
        crossAttentionDim = List.copyOf(crossAttentionDim);
        transformerLayersPerBlock = List.copyOf(transformerLayersPerBlock);
        attentionHeadDim = List.copyOf(attentionHeadDim);
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
    }

    /**
     * Fields whose only supported value is diffusers' default (any other changes the model in ways bkd does not
     * implement): rejected by name when a file sets another value, written with that value on save.
     */
    private static final Map<String, Object> FIXED = fixed(
            "class_embed_type", null,
            "num_class_embeds", null,
            // doubles every resnet's time-embedding width in diffusers even without a class embedding
            "class_embeddings_concat", false,
            "addition_embed_type", null,
            "time_cond_proj_dim", null,
            "encoder_hid_dim", null,
            "encoder_hid_dim_type", null,
            "dual_cross_attention", false,
            "resnet_time_scale_shift", "default",
            "attention_type", "default",
            "time_embedding_type", "positional",
            "cross_attention_norm", null,
            "reverse_transformer_layers_per_block", null);

    /** A per-block integer field: an int for every block or one entry per block (diffusers accepts both). */
    private record PerBlock(String key, int def, Function<UNet2DConditionConfig, List<Integer>> get) {}

    private static final List<PerBlock> PER_BLOCK = List.of(
            new PerBlock("layers_per_block", 2, UNet2DConditionConfig::layersPerBlock),
            new PerBlock("cross_attention_dim", 1280, UNet2DConditionConfig::crossAttentionDim),
            new PerBlock("transformer_layers_per_block", 1, UNet2DConditionConfig::transformerLayersPerBlock),
            new PerBlock("attention_head_dim", 8, UNet2DConditionConfig::attentionHeadDim));

    private static Map<String, Object> fixed(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    // ------------------------------------------------------------------ derived quantities

    /** Number of down (= up) blocks. */
    public int numBlocks() {
        return blockOutChannels.size();
    }

    /** Width of the time embedding fed to every resnet: time_embedding_dim or 4 · block_out_channels[0]. */
    public int timeEmbedDim() {
        return timeEmbeddingDim != null ? timeEmbeddingDim : blockOutChannels.get(0) * 4;
    }

    /** Upsamplers in the up path (every up block but the last); inputs must be multiples of 2^this. */
    public int numUpsamplers() {
        return numBlocks() - 1;
    }

    // ------------------------------------------------------------------ reading

    /** diffusers' class defaults (SD1.x layout with 1280-wide cross-attention). */
    public static UNet2DConditionConfig defaults() {
        return from(new ConfigReader(SELF, ConfigReader.MAPPER.createObjectNode()));
    }

    public static UNet2DConditionConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static UNet2DConditionConfig parse(String label, String json) {
        return from(ConfigReader.parse(label, json));
    }

    /** A bundled published config: "sd15" (runwayml/stable-diffusion-v1-5) or "sd21" (stabilityai/stable-diffusion-2-1). */
    public static UNet2DConditionConfig preset(String name) {
        String repo = PRESETS.get(name);
        if (repo == null) {
            throw new ConfigException("no UNet preset \"" + name + "\" (available: " + String.join(", ",
                    new TreeMap<>(PRESETS).keySet()) + ")");
        }
        try (InputStream in = UNet2DConditionConfig.class.getResourceAsStream("unet/" + name + ".json")) {
            if (in == null) {
                throw new IllegalStateException("preset resource unet/" + name + ".json missing from the jar");
            }
            return parse("preset " + name + " (" + repo + " unet/config.json)",
                    new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("preset " + name + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Builds the config from a reader; every message names the reader's file and the field. */
    public static UNet2DConditionConfig from(ConfigReader r) {
        if (r.has("_class_name")) {
            r.requireOneOf("_class_name", CLASS_NAME);
        }
        rejectUnsupported(r);
        List<Integer> boc = ints(r, "block_out_channels", List.of(320, 640, 1280, 1280));
        List<UNetBlockType> down = blocks(r, "down_block_types", Stage.DOWN, List.of("CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"));
        List<UNetBlockType> up = blocks(r, "up_block_types", Stage.UP, List.of("UpBlock2D", "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"));
        UNetBlockType mid = midBlock(r);
        int n = down.size();
        if (up.size() != n) {
            throw r.error("up_block_types", "has " + up.size() + " entries but `down_block_types` has " + n);
        }
        if (boc.size() != n) {
            throw r.error("block_out_channels", "has " + boc.size() + " entries but `down_block_types` has " + n);
        }
        int normGroups = r.getInt("norm_num_groups", 32);
        if (r.raw("norm_num_groups") != null && r.raw("norm_num_groups").isNull()) {
            throw r.error("norm_num_groups", "= null (no GroupNorm) is not supported by bkd");
        }
        JsonNode tl = r.raw("transformer_layers_per_block");
        if (tl != null && tl.isArray()) {
            for (JsonNode e : tl) {
                if (e.isArray()) {
                    throw r.error("transformer_layers_per_block", "holds nested lists (asymmetric per-layer depths):"
                            + " not supported by bkd");
                }
            }
        }
        Integer ted = r.getIntOrNull("time_embedding_dim");
        Map<String, List<Integer>> pb = new LinkedHashMap<>();
        for (PerBlock p : PER_BLOCK) {
            pb.put(p.key(), box(r.getPerBlock(p.key(), p.def(), n, "down_block_types")));
        }
        UNet2DConditionConfig c;
        try {
            c = new UNet2DConditionConfig(sampleSize(r),
                    r.getInt("in_channels", 4),
                    r.getInt("out_channels", 4),
                    r.getBool("center_input_sample", false),
                    r.getBool("flip_sin_to_cos", true),
                    r.getInt("freq_shift", 0),
                    down, mid, up,
                    onlyCross(r, n),
                    boc,
                    pb.get("layers_per_block"),
                    r.getInt("downsample_padding", 1),
                    r.getDouble("mid_block_scale_factor", 1),
                    r.getDouble("dropout", 0.0),
                    r.getString("act_fn", "silu"),
                    normGroups,
                    r.getDouble("norm_eps", 1e-5),
                    pb.get("cross_attention_dim"),
                    pb.get("transformer_layers_per_block"),
                    pb.get("attention_head_dim"),
                    r.getBool("use_linear_projection", false),
                    r.getBool("upcast_attention", false),
                    ted,
                    r.getString("time_embedding_act_fn", null),
                    r.getString("timestep_post_act", null),
                    r.getInt("conv_in_kernel", 3),
                    r.getInt("conv_out_kernel", 3),
                    extras(r));
            c.validate();
        } catch (ConfigException e) {
            String m = e.getMessage();
            if (m.startsWith(SELF + ":") && !r.label().equals(SELF)) {
                throw new ConfigException(r.label() + m.substring(SELF.length()), e);
            }
            throw e;
        }
        return c;
    }

    /**
     * Unread fields (incl. ones that cannot matter for the blocks bkd builds), kept verbatim; a config
     * without a diffusers version gets the one bkd is verified against, so a save/read round trip is stable.
     */
    private static ObjectNode extras(ConfigReader r) {
        ObjectNode ex = r.extras();
        if (!ex.has("_diffusers_version")) {
            ex.put("_diffusers_version", DIFFUSERS_VERSION);
        }
        return ex;
    }

    /** Fields diffusers reads that would change the maths; bkd implements only their default. */
    private static void rejectUnsupported(ConfigReader r) {
        FIXED.forEach((field, only) -> r.requireOneOf(field, only));
        JsonNode nah = r.raw("num_attention_heads");
        if (nah != null && !nah.isNull()) {
            throw r.error("num_attention_heads", "= " + nah + " is not supported: diffusers' UNet2DConditionModel "
                    + "refuses it too; the number of heads per block is given by `attention_head_dim`");
        }
    }

    private static List<Integer> sampleSize(ConfigReader r) {
        JsonNode v = r.raw("sample_size");
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return List.of(r.getInt("sample_size", 0));
        }
        List<Integer> s = ints(r, "sample_size", null);
        if (s.size() != 2) {
            throw r.error("sample_size", "must be an integer or [height, width], found " + v);
        }
        return s;
    }

    private static List<Integer> ints(ConfigReader r, String field, List<Integer> def) {
        int[] d = def == null ? null : def.stream().mapToInt(Integer::intValue).toArray();
        return box(r.getIntList(field, d));
    }

    private static List<Integer> box(int[] a) {
        List<Integer> out = new ArrayList<>(a.length);
        for (int v : a) {
            out.add(v);
        }
        return out;
    }

    private static List<UNetBlockType> blocks(ConfigReader r, String field, Stage stage, List<String> def) {
        List<UNetBlockType> out = new ArrayList<>();
        List<String> names = r.getStringList(field, def);
        if (names.isEmpty()) {
            throw r.error(field, "must not be empty");
        }
        for (int i = 0; i < names.size(); i++) {
            UNetBlockType t = UNetBlockType.parse(names.get(i), stage);
            if (t == null) {
                throw r.error(field, "entry " + i + " = \"" + names.get(i) + "\" is not supported by bkd (supported: "
                        + String.join(", ", UNetBlockType.of(stage).stream().map(Enum::name).toList()) + ")");
            }
            out.add(t);
        }
        return out;
    }

    private static UNetBlockType midBlock(ConfigReader r) {
        JsonNode v = r.raw("mid_block_type");
        if (v != null && v.isNull()) {
            return null; // explicitly no mid block (BK-SDM "tiny" students)
        }
        String name = r.getString("mid_block_type", UNetBlockType.UNetMidBlock2DCrossAttn.name());
        UNetBlockType t = UNetBlockType.parse(name, Stage.MID);
        if (t == null) {
            throw r.error("mid_block_type", "= \"" + name + "\" is not supported by bkd (supported: "
                    + "UNetMidBlock2DCrossAttn, null)");
        }
        return t;
    }

    private static List<Boolean> onlyCross(ConfigReader r, int n) {
        JsonNode v = r.raw("only_cross_attention");
        List<Boolean> out = new ArrayList<>();
        if (v == null || v.isNull() || v.isBoolean()) {
            boolean b = v != null && v.isBoolean() && v.asBoolean();
            for (int i = 0; i < n; i++) {
                out.add(b);
            }
            return out;
        }
        if (!v.isArray()) {
            throw r.error("only_cross_attention", "must be true/false or a list of them, found " + v);
        }
        for (JsonNode e : v) {
            if (!e.isBoolean()) {
                throw r.error("only_cross_attention", "must be true/false or a list of them, found element " + e);
            }
            out.add(e.asBoolean());
        }
        if (out.size() != n) {
            throw r.error("only_cross_attention", "has " + out.size() + " entries but `down_block_types` has " + n);
        }
        return out;
    }

    // ------------------------------------------------------------------ validation

    private static ConfigException bad(String field, String problem) {
        return new ConfigException(SELF + ": field `" + field + "` " + problem);
    }

    /** Checks the fields against each other (block counts, channels and groups, heads); names the field. */
    private void validate() {
        List<Integer> boc = blockOutChannels;
        List<UNetBlockType> down = downBlockTypes;
        List<UNetBlockType> up = upBlockTypes;
        UNetBlockType mid = midBlockType;
        int groups = normNumGroups;
        int n = boc.size();
        if (n == 0) {
            throw bad("block_out_channels", "must not be empty");
        }
        count("down_block_types", down.size(), n, "block_out_channels");
        count("up_block_types", up.size(), n, "block_out_channels");
        count("only_cross_attention", onlyCrossAttention.size(), n, "down_block_types");
        for (PerBlock p : PER_BLOCK) {
            count(p.key(), p.get().apply(this).size(), n, "down_block_types");
        }
        stage("down_block_types", down, Stage.DOWN);
        stage("up_block_types", up, Stage.UP);
        if (mid != null && mid.stage != Stage.MID) {
            throw bad("mid_block_type", "= \"" + mid + "\" is not a mid block");
        }
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("norm_num_groups", groups);
        if (!(normEps > 0)) {
            throw bad("norm_eps", "must be a positive number, found " + normEps);
        }
        if (downsamplePadding < 0) {
            throw bad("downsample_padding", "must be >= 0, found " + downsamplePadding);
        }
        for (int i = 0; i < n; i++) {
            int c = boc.get(i);
            positive("block_out_channels", c);
            if (c % groups != 0) {
                throw bad("norm_num_groups", "= " + groups + " does not divide block_out_channels entry " + c
                        + " (GroupNorm needs channels divisible by groups)");
            }
            for (PerBlock p : PER_BLOCK.subList(0, 3)) { // heads: checked against the channels below
                positive(p.key(), p.get().apply(this).get(i));
            }
            int h = attentionHeadDim.get(i);
            if (h < 1 || h > c) {
                throw bad("attention_head_dim", "entry " + i + " = " + h + " heads does not fit block_out_channels "
                        + c + " (it is the number of heads, 1.." + c + ")");
            }
        }
        activation("act_fn", actFn, false);
        activation("time_embedding_act_fn", timeEmbeddingActFn, true);
        activation("timestep_post_act", timestepPostAct, true);
        if (timeEmbeddingDim != null) {
            positive("time_embedding_dim", timeEmbeddingDim);
        }
        kernel("conv_in_kernel", convInKernel);
        kernel("conv_out_kernel", convOutKernel);
    }

    private static void count(String field, int have, int want, String countField) {
        if (have != want) {
            throw bad(field, "has " + have + " entries but `" + countField + "` has " + want);
        }
    }

    private static void stage(String field, List<UNetBlockType> types, Stage s) {
        for (int i = 0; i < types.size(); i++) {
            if (types.get(i).stage != s) {
                throw bad(field, "entry " + i + " = \"" + types.get(i) + "\" is not a " + s.name().toLowerCase()
                        + " block");
            }
        }
    }

    private static void positive(String field, int v) {
        if (v < 1) {
            throw bad(field, "must be >= 1, found " + v);
        }
    }

    private static void kernel(String field, int k) {
        if (k < 1 || k % 2 == 0) {
            throw bad(field, "must be a positive odd kernel size, found " + k);
        }
    }

    private static void activation(String field, String name, boolean nullable) {
        if (name == null && nullable) {
            return;
        }
        if (!ACTIVATIONS.contains(name)) {
            throw bad(field, "= " + (name == null ? "null" : "\"" + name + "\"") + " is not supported by bkd (supported: "
                    + String.join(", ", ACTIVATIONS) + (nullable ? ", null" : "") + ")");
        }
    }

    // ------------------------------------------------------------------ writing

    /** The full diffusers config.json content: every field diffusers 0.40 writes, keys sorted, extras kept. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Map<String, JsonNode> m = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = extras.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), e.getValue().deepCopy());
        }
        m.put("_class_name", f.textNode(CLASS_NAME));
        m.putIfAbsent("_diffusers_version", f.textNode(DIFFUSERS_VERSION));
        FIXED.forEach((k, v) -> m.put(k, v == null ? f.nullNode() : ConfigReader.MAPPER.valueToTree(v)));
        for (PerBlock p : PER_BLOCK) {
            m.put(p.key(), perBlock(p.get().apply(this)));
        }
        m.put("act_fn", f.textNode(actFn));
        m.put("block_out_channels", ConfigWriter.ints(blockOutChannels));
        m.put("center_input_sample", f.booleanNode(centerInputSample));
        m.put("conv_in_kernel", f.numberNode(convInKernel));
        m.put("conv_out_kernel", f.numberNode(convOutKernel));
        m.put("down_block_types", names(downBlockTypes));
        m.put("downsample_padding", f.numberNode(downsamplePadding));
        m.put("dropout", f.numberNode(dropout));
        m.put("flip_sin_to_cos", f.booleanNode(flipSinToCos));
        m.put("freq_shift", f.numberNode(freqShift));
        m.put("in_channels", f.numberNode(inChannels));
        m.put("mid_block_scale_factor", number(midBlockScaleFactor));
        m.put("mid_block_type", midBlockType == null ? f.nullNode() : f.textNode(midBlockType.name()));
        m.put("norm_eps", f.numberNode(normEps));
        m.put("norm_num_groups", f.numberNode(normNumGroups));
        m.put("num_attention_heads", f.nullNode());
        m.put("only_cross_attention", onlyCrossAttention.stream().distinct().count() == 1
                ? f.booleanNode(onlyCrossAttention.get(0))
                : ConfigWriter.bools(onlyCrossAttention));
        m.put("out_channels", f.numberNode(outChannels));
        m.put("sample_size", sampleSize == null ? f.nullNode()
                : sampleSize.size() == 1 ? f.numberNode(sampleSize.get(0)) : ConfigWriter.ints(sampleSize));
        m.put("time_embedding_act_fn", timeEmbeddingActFn == null ? f.nullNode() : f.textNode(timeEmbeddingActFn));
        m.put("time_embedding_dim", timeEmbeddingDim == null ? f.nullNode() : f.numberNode(timeEmbeddingDim));
        m.put("timestep_post_act", timestepPostAct == null ? f.nullNode() : f.textNode(timestepPostAct));
        m.put("up_block_types", names(upBlockTypes));
        m.put("upcast_attention", f.booleanNode(upcastAttention));
        m.put("use_linear_projection", f.booleanNode(useLinearProjection));
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        m.forEach(o::set);
        return o;
    }

    public String toJsonString() {
        try {
            return ConfigReader.MAPPER.writeValueAsString(toJson()) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@link #toJsonString()} to {@code file} (via a temporary file, so a crash leaves no half file). */
    public void save(Path file) {
        ConfigWriter.save(file, toJsonString());
    }

    private static JsonNode number(double v) {
        return v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE
                ? JsonNodeFactory.instance.numberNode((int) v)
                : JsonNodeFactory.instance.numberNode(v);
    }

    /** A plain int when every block has the same value (what diffusers' own configs do), else the list. */
    private static JsonNode perBlock(List<Integer> v) {
        return v.stream().distinct().count() == 1 ? JsonNodeFactory.instance.numberNode(v.get(0)) : ConfigWriter.ints(v);
    }

    private static ArrayNode names(List<UNetBlockType> v) {
        return ConfigWriter.strings(v.stream().map(Enum::name).toList());
    }

    // ------------------------------------------------------------------ derivation

    /** A builder starting from this config (students are derived this way). */
    public Builder toBuilder() {
        return new Builder(toJson());
    }

    /** A builder starting from diffusers' class defaults. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /**
     * Edits a config as its JSON, then re-reads it through the same checks as a file, so a derived config
     * is valid exactly when the same config.json would be. Per-block fields take one value (all blocks) or
     * one per block.
     */
    public static final class Builder {
        private final ObjectNode json;

        private Builder(ObjectNode json) {
            this.json = json;
        }

        /** Sets any config field to a JSON-convertible value (null clears it to JSON null). */
        public Builder set(String field, Object value) {
            json.set(field, ConfigReader.MAPPER.valueToTree(value));
            return this;
        }

        public Builder blockOutChannels(int... v) {
            return set("block_out_channels", v);
        }

        public Builder downBlockTypes(UNetBlockType... v) {
            return set("down_block_types", List.of(v).stream().map(Enum::name).toList());
        }

        public Builder upBlockTypes(UNetBlockType... v) {
            return set("up_block_types", List.of(v).stream().map(Enum::name).toList());
        }

        /** null removes the mid block. */
        public Builder midBlockType(UNetBlockType v) {
            return set("mid_block_type", v == null ? null : v.name());
        }

        public Builder layersPerBlock(int... v) {
            return perBlock("layers_per_block", v);
        }

        /** Number of heads per block (diffusers' name). */
        public Builder attentionHeadDim(int... v) {
            return perBlock("attention_head_dim", v);
        }

        public Builder crossAttentionDim(int... v) {
            return perBlock("cross_attention_dim", v);
        }

        public Builder transformerLayersPerBlock(int... v) {
            return perBlock("transformer_layers_per_block", v);
        }

        public Builder onlyCrossAttention(boolean... v) {
            return v.length == 1 ? set("only_cross_attention", v[0]) : set("only_cross_attention", v);
        }

        public Builder useLinearProjection(boolean v) {
            return set("use_linear_projection", v);
        }

        public Builder upcastAttention(boolean v) {
            return set("upcast_attention", v);
        }

        public Builder inChannels(int v) {
            return set("in_channels", v);
        }

        public Builder outChannels(int v) {
            return set("out_channels", v);
        }

        public Builder normNumGroups(int v) {
            return set("norm_num_groups", v);
        }

        public Builder sampleSize(int v) {
            return set("sample_size", v);
        }

        public Builder centerInputSample(boolean v) {
            return set("center_input_sample", v);
        }

        private Builder perBlock(String field, int[] v) {
            return v.length == 1 ? set(field, v[0]) : set(field, v);
        }

        public UNet2DConditionConfig build() {
            return from(new ConfigReader(SELF, json.deepCopy()));
        }
    }
}
