package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.Field.Check;
import dev.bkd.core.config.UNetBlockType.Stage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * diffusers {@code UNet2DConditionModel} config ({@code unet/config.json}). Absent fields take the diffusers
 * class defaults (SD1.5's file holds only a few keys). Per-block fields are normalised to one entry per
 * block. {@code attention_head_dim} is the number of heads per block, as diffusers reads it
 * ({@code num_attention_heads or attention_head_dim}); each block's head width is its channels / heads.
 * Fields that would change the maths in ways bkd does not implement are rejected by name; unknown fields
 * are kept in {@link #extras()} and written back. Derive modified copies with {@link #toBuilder()}.
 */
public record UNet2DConditionConfig(
        List<Integer> sampleSize, int inChannels, int outChannels, boolean centerInputSample, boolean flipSinToCos,
        int freqShift, List<UNetBlockType> downBlockTypes, UNetBlockType midBlockType, List<UNetBlockType> upBlockTypes,
        List<Boolean> onlyCrossAttention, List<Integer> blockOutChannels, List<Integer> layersPerBlock,
        int downsamplePadding, double midBlockScaleFactor, double dropout, String actFn, int normNumGroups,
        double normEps, List<Integer> crossAttentionDim, List<Integer> transformerLayersPerBlock,
        List<Integer> attentionHeadDim, boolean useLinearProjection, boolean upcastAttention, Integer timeEmbeddingDim,
        String timeEmbeddingActFn, String timestepPostAct, int convInKernel, int convOutKernel, ObjectNode extras) {

    public static final String CLASS_NAME = "UNet2DConditionModel";
    /** The diffusers version bkd's UNet is verified against (written when a config has none). */
    public static final String DIFFUSERS_VERSION = "0.40.0";
    /** The label errors name for configs built in code (defaults, builders) rather than read from a file. */
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

    private static final Check AT_LEAST_ONE = Field.require((Integer v) -> v >= 1, "must be >= 1");
    private static final Check ODD_KERNEL = Field.require((Integer k) -> k >= 1 && k % 2 != 0,
            "must be a positive odd kernel size");

    /**
     * The fields in reading order. Every check runs after every field is read, so a value of the wrong type is
     * reported before one out of range; block counts are checked while reading (later checks index by block).
     */
    private static final FieldTable<UNet2DConditionConfig> FIELDS = new FieldTable<>(UNet2DConditionConfig.class,
            Field.of("_class_name", (r, k, b) -> {
                if (r.has(k)) {
                    r.requireOneOf(k, CLASS_NAME);
                }
                return null;
            }).writes(v -> Field.json(CLASS_NAME)),
            // only diffusers' default is implemented: any other value changes the model in ways bkd does not
            Field.fixed("class_embed_type", null),
            Field.fixed("num_class_embeds", null),
            // doubles every resnet's time-embedding width in diffusers even without a class embedding
            Field.fixed("class_embeddings_concat", false),
            Field.fixed("addition_embed_type", null),
            Field.fixed("time_cond_proj_dim", null),
            Field.fixed("encoder_hid_dim", null),
            Field.fixed("encoder_hid_dim_type", null),
            Field.fixed("dual_cross_attention", false),
            Field.fixed("resnet_time_scale_shift", "default"),
            Field.fixed("attention_type", "default"),
            Field.fixed("time_embedding_type", "positional"),
            Field.fixed("cross_attention_norm", null),
            Field.fixed("reverse_transformer_layers_per_block", null),
            Field.of("num_attention_heads", (r, k, b) -> {
                if (r.has(k)) {
                    throw r.error(k, "= " + r.raw(k) + " is not supported: diffusers' UNet2DConditionModel refuses"
                            + " it too; the number of heads per block is given by `attention_head_dim`");
                }
                return null;
            }),
            Field.ints("block_out_channels", List.of(320, 640, 1280, 1280)).must(Field.each(AT_LEAST_ONE)),
            blocks("down_block_types", Stage.DOWN,
                    "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
            blocks("up_block_types", Stage.UP, "UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                    "CrossAttnUpBlock2D"),
            Field.of("mid_block_type", UNet2DConditionConfig::midBlock),
            Field.of("norm_num_groups", (r, k, b) -> {
                if (r.raw(k) != null && r.raw(k).isNull()) {
                    throw r.error(k, "= null (no GroupNorm) is not supported by bkd");
                }
                return r.getInt(k, 32);
            }).must(AT_LEAST_ONE).must(Field.DIVIDES_CHANNELS),
            Field.optionalInt("time_embedding_dim").must(AT_LEAST_ONE),
            perBlock("layers_per_block", 2).must(Field.each(AT_LEAST_ONE)),
            perBlock("cross_attention_dim", 1280).must(Field.each(AT_LEAST_ONE)),
            flat(perBlock("transformer_layers_per_block", 1)).must(Field.each(AT_LEAST_ONE)),
            perBlock("attention_head_dim", 8).must((r, k, v, b) -> {
                List<Integer> channels = blockOutChannels(b);
                for (int i = 0; i < channels.size(); i++) {
                    int h = ((List<Integer>) v).get(i);
                    int c = channels.get(i);
                    if (h < 1 || h > c) {
                        throw r.error(k, "entry " + i + " = " + h + " heads does not fit block_out_channels " + c
                                + " (it is the number of heads, 1.." + c + ")");
                    }
                }
            }),
            Field.sampleSize(null, "integer"),
            Field.integer("in_channels", 4).must(AT_LEAST_ONE),
            Field.integer("out_channels", 4).must(AT_LEAST_ONE),
            Field.bool("center_input_sample", false),
            Field.bool("flip_sin_to_cos", true),
            Field.integer("freq_shift", 0),
            perBlock("only_cross_attention", false, JsonNode::isBoolean, JsonNode::isBoolean,
                    "must be true/false or a list of them", JsonNode::asBoolean),
            Field.integer("downsample_padding", 1).must(Field.require((Integer v) -> v >= 0, "must be >= 0")),
            // diffusers writes the default as the int 1
            Field.real("mid_block_scale_factor", 1).writes(v -> Field.json((double) v == Math.rint((double) v)
                    && Math.abs((double) v) <= Integer.MAX_VALUE ? (Object) (int) (double) v : v)),
            Field.real("dropout", 0.0),
            Field.string("act_fn", "silu").must(activation(false)),
            Field.positive("norm_eps", 1e-5),
            Field.bool("use_linear_projection", false),
            Field.bool("upcast_attention", false),
            Field.string("time_embedding_act_fn", null).must(activation(true)),
            Field.string("timestep_post_act", null).must(activation(true)),
            Field.integer("conv_in_kernel", 3).must(ODD_KERNEL),
            Field.integer("conv_out_kernel", 3).must(ODD_KERNEL));

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
        Map<String, Object> values = FIELDS.read(r, true);
        // a config without a diffusers version gets the one bkd is verified against: a save/read round trip is stable
        ObjectNode extras = r.extras();
        if (!extras.has("_diffusers_version")) {
            extras.put("_diffusers_version", DIFFUSERS_VERSION);
        }
        values.put("extras", extras);
        return FIELDS.build(values);
    }

    @SuppressWarnings("unchecked")
    private static List<Integer> blockOutChannels(Map<String, Object> before) {
        return (List<Integer>) before.get("block_out_channels");
    }

    /** The number of blocks: entries of {@code down_block_types} (read before every per-block field). */
    private static int blockCount(Map<String, Object> before) {
        return ((List<?>) before.get("down_block_types")).size();
    }

    /** Fails unless a per-block list has one entry per down block. */
    private static void count(ConfigReader r, String field, int have, Map<String, Object> before) {
        if (have != blockCount(before)) {
            throw r.error(field, "has " + have + " entries but `down_block_types` has " + blockCount(before));
        }
    }

    private static Field blocks(String key, Stage stage, String... def) {
        return Field.of(key, (r, k, b) -> {
            List<String> names = r.getStringList(k, List.of(def));
            if (names.isEmpty()) {
                throw r.error(k, "must not be empty");
            }
            List<UNetBlockType> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                UNetBlockType t = UNetBlockType.parse(names.get(i), stage);
                if (t == null) {
                    throw r.error(k, "entry " + i + " = \"" + names.get(i) + "\" is not supported by bkd (supported: "
                            + String.join(", ", UNetBlockType.of(stage).stream().map(Enum::name).toList()) + ")");
                }
                out.add(t);
            }
            if (stage == Stage.UP) { // the block count is known: check the lists read so far against it
                count(r, k, out.size(), b);
                count(r, "block_out_channels", blockOutChannels(b).size(), b);
            }
            return out;
        });
    }

    /** A per-block integer: an int for every block or one entry per block (diffusers accepts both). */
    private static Field perBlock(String key, int def) {
        return perBlock(key, def, JsonNode::isIntegralNumber, ConfigReader.IS_INT, "must be a list of integers",
                JsonNode::asInt);
    }

    /** A per-block value: {@code one} value for every block, or a list of them ({@code each}) with one per block. */
    private static Field perBlock(String key, Object def, Predicate<JsonNode> one, Predicate<JsonNode> each,
            String must, Function<JsonNode, Object> as) {
        return Field.of(key, (r, k, b) -> {
            JsonNode v = r.raw(k);
            if (v == null || v.isNull() || one.test(v)) {
                return Collections.nCopies(blockCount(b), v == null || v.isNull() ? def : as.apply(v));
            }
            List<Object> out = r.getList(k, null, each, must, as);
            count(r, k, out.size(), b);
            return out;
        }).writes(Field::collapsed);
    }

    /** Rejects diffusers' nested per-layer lists (SDXL-style asymmetric depths) before the per-block read. */
    private static Field flat(Field f) {
        return Field.of(f.key(), (r, k, b) -> {
            JsonNode v = r.raw(k);
            for (JsonNode e : v != null && v.isArray() ? v : List.<JsonNode>of()) {
                if (e.isArray()) {
                    throw r.error(k, "holds nested lists (asymmetric per-layer depths): not supported by bkd");
                }
            }
            return f.reader().read(r, k, b);
        }).writes(f.writer());
    }

    private static UNetBlockType midBlock(ConfigReader r, String key, Map<String, Object> before) {
        JsonNode v = r.raw(key);
        if (v != null && v.isNull()) {
            return null; // explicitly no mid block (BK-SDM "tiny" students)
        }
        String name = r.getString(key, UNetBlockType.UNetMidBlock2DCrossAttn.name());
        UNetBlockType t = UNetBlockType.parse(name, Stage.MID);
        if (t == null) {
            throw r.error(key, "= \"" + name + "\" is not supported by bkd (supported: UNetMidBlock2DCrossAttn, null)");
        }
        return t;
    }

    private static Check activation(boolean nullable) {
        return (r, k, name, b) -> {
            if (!(name == null && nullable) && !ACTIVATIONS.contains(name)) {
                throw r.error(k, "= " + (name == null ? "null" : "\"" + name + "\"") + " is not supported by bkd"
                        + " (supported: " + String.join(", ", ACTIVATIONS) + (nullable ? ", null" : "") + ")");
            }
        };
    }

    // ------------------------------------------------------------------ writing

    /** The full diffusers config.json content: every field diffusers 0.40 writes, keys sorted, extras kept. */
    public ObjectNode toJson() {
        ObjectNode o = extras.deepCopy();
        if (!o.has("_diffusers_version")) {
            o.put("_diffusers_version", DIFFUSERS_VERSION);
        }
        o.setAll(FIELDS.write(this));
        return ConfigWriter.sorted(o);
    }

    public String toJsonString() {
        return ConfigWriter.text(toJson());
    }

    /** Writes {@link #toJsonString()} to {@code file} (via a temporary file, so a crash leaves no half file). */
    public void save(Path file) {
        ConfigWriter.save(file, toJsonString());
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

        // one line each: every setter only names the field; the checks are the file's (see build)
        public Builder blockOutChannels(int... v) { return set("block_out_channels", v); }
        public Builder downBlockTypes(UNetBlockType... v) { return set("down_block_types", v); }
        public Builder upBlockTypes(UNetBlockType... v) { return set("up_block_types", v); }
        /** null removes the mid block. */
        public Builder midBlockType(UNetBlockType v) { return set("mid_block_type", v); }
        public Builder layersPerBlock(int... v) { return perBlock("layers_per_block", v); }
        /** Number of heads per block (diffusers' name). */
        public Builder attentionHeadDim(int... v) { return perBlock("attention_head_dim", v); }
        public Builder crossAttentionDim(int... v) { return perBlock("cross_attention_dim", v); }
        public Builder transformerLayersPerBlock(int... v) { return perBlock("transformer_layers_per_block", v); }
        public Builder onlyCrossAttention(boolean... v) {
            return v.length == 1 ? set("only_cross_attention", v[0]) : set("only_cross_attention", v);
        }
        public Builder useLinearProjection(boolean v) { return set("use_linear_projection", v); }
        public Builder upcastAttention(boolean v) { return set("upcast_attention", v); }
        public Builder inChannels(int v) { return set("in_channels", v); }
        public Builder outChannels(int v) { return set("out_channels", v); }
        public Builder normNumGroups(int v) { return set("norm_num_groups", v); }
        public Builder sampleSize(int v) { return set("sample_size", v); }
        public Builder centerInputSample(boolean v) { return set("center_input_sample", v); }

        private Builder perBlock(String field, int[] v) {
            return v.length == 1 ? set(field, v[0]) : set(field, v);
        }

        public UNet2DConditionConfig build() {
            return from(new ConfigReader(SELF, json.deepCopy()));
        }
    }
}
