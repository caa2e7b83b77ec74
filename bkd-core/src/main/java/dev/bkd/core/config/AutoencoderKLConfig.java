package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * diffusers {@code AutoencoderKL} config ({@code vae/config.json}). Defaults are the diffusers class
 * defaults, not SD's file values. Unknown fields are kept in {@link #extras()} and written back.
 * A {@code sampleSize} of one entry is written as a plain int, two entries as a list.
 */
public record AutoencoderKLConfig(
        int inChannels, int outChannels, List<DownBlockType> downBlockTypes, List<UpBlockType> upBlockTypes,
        List<Integer> blockOutChannels, int layersPerBlock, String actFn, int latentChannels, int normNumGroups,
        List<Integer> sampleSize, double scalingFactor, Double shiftFactor, List<Double> latentsMean,
        List<Double> latentsStd, boolean forceUpcast, boolean useQuantConv, boolean usePostQuantConv,
        boolean midBlockAddAttention, ObjectNode extras) {

    public static final String CLASS_NAME = "AutoencoderKL";

    /** The encoder block kinds bkd implements. */
    public enum DownBlockType { DownEncoderBlock2D }

    /** The decoder block kinds bkd implements. */
    public enum UpBlockType { UpDecoderBlock2D }

    /** The fields in reading order, each checked as it is read; defaults are diffusers' class defaults. */
    private static final FieldTable<AutoencoderKLConfig> FIELDS = new FieldTable<>(AutoencoderKLConfig.class,
            Field.size("in_channels", 3),
            Field.size("out_channels", 3),
            Field.ints("block_out_channels", List.of(64)).must((r, k, v, b) -> {
                if (((List<?>) v).isEmpty()) {
                    throw r.error(k, "must not be empty");
                }
            }).must(Field.each(Field.AT_LEAST_ONE)),
            blocks("down_block_types", DownBlockType.class),
            blocks("up_block_types", UpBlockType.class),
            Field.size("layers_per_block", 1),
            Field.oneOf("act_fn", "silu", "silu", "swish", "gelu"),
            Field.size("latent_channels", 4),
            Field.size("norm_num_groups", 32).must(Field.DIVIDES_CHANNELS),
            Field.sampleSize(List.of(32), "int").must(Field.each(Field.AT_LEAST_ONE)),
            Field.real("scaling_factor", 0.18215).must(Field.require((Double v) -> v > 0 && !v.isInfinite(),
                    "must be a positive number")),
            Field.optionalReal("shift_factor"),
            perChannel("latents_mean"),
            perChannel("latents_std"),
            Field.bool("force_upcast", true),
            Field.bool("use_quant_conv", true),
            Field.bool("use_post_quant_conv", true),
            Field.bool("mid_block_add_attention", true));

    public AutoencoderKLConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        sampleSize = List.copyOf(sampleSize);
        latentsMean = latentsMean == null ? null : List.copyOf(latentsMean);
        latentsStd = latentsStd == null ? null : List.copyOf(latentsStd);
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    /** diffusers' class defaults: one 64-channel level, layers_per_block 1, 32 groups. */
    public static AutoencoderKLConfig defaults() {
        return from(new ConfigReader(CLASS_NAME, ConfigReader.MAPPER.createObjectNode()));
    }

    /** Spatial down-scaling between image and latent: 2^(levels - 1). */
    public int downscaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    public static AutoencoderKLConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static AutoencoderKLConfig from(ConfigReader r) {
        r.requireOneOf("_class_name", CLASS_NAME);
        Map<String, Object> values = FIELDS.read(r, false);
        values.put("extras", r.extras());
        return FIELDS.build(values);
    }

    public void save(Path file) {
        ObjectNode o = extras.deepCopy();
        o.put("_class_name", CLASS_NAME);
        o.setAll(FIELDS.write(this));
        ConfigWriter.write(file, o);
    }

    /** A list of block kinds (default: one block of the first kind); one per {@code block_out_channels} entry. */
    private static <E extends Enum<E>> Field blocks(String key, Class<E> type) {
        List<String> names = Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
        return Field.of(key, (r, k, b) -> {
            List<E> out = new ArrayList<>();
            for (String s : r.getStringList(k, names.subList(0, 1))) {
                if (!names.contains(s)) {
                    throw r.error(k, "entry \"" + s + "\" is not supported by bkd (supported: \""
                            + String.join("\", \"", names) + "\")");
                }
                out.add(Enum.valueOf(type, s));
            }
            return out;
        }).must(Field.sameLength("block_out_channels"));
    }

    /** One number per latent channel, or null. */
    private static Field perChannel(String key) {
        return Field.of(key, (r, k, b) -> {
            JsonNode v = r.raw(k);
            int latent = (int) b.get("latent_channels");
            if (v != null && !v.isNull() && !v.isArray()) {
                throw r.error(k, "must be a list of " + latent + " numbers (one per latent channel) or null, found " + v);
            }
            List<Double> out = r.getList(k, null, JsonNode::isNumber, "must be a list of numbers", JsonNode::asDouble);
            if (out != null && out.size() != latent) {
                throw r.error(k, "has " + out.size() + " entries but `latent_channels` is " + latent);
            }
            return out;
        });
    }
}
