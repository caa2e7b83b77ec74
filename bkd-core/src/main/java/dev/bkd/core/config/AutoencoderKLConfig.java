package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers {@code AutoencoderKL} config ({@code vae/config.json}). Defaults are the diffusers class
 * defaults, not SD's file values. Unknown fields are kept in {@link #extras()} and written back.
 * A {@code sampleSize} of one entry is written as a plain int, two entries as a list.
 */
public record AutoencoderKLConfig(
        int inChannels,
        int outChannels,
        List<DownBlockType> downBlockTypes,
        List<UpBlockType> upBlockTypes,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        String actFn,
        int latentChannels,
        int normNumGroups,
        List<Integer> sampleSize,
        double scalingFactor,
        Double shiftFactor,
        List<Double> latentsMean,
        List<Double> latentsStd,
        boolean forceUpcast,
        boolean useQuantConv,
        boolean usePostQuantConv,
        boolean midBlockAddAttention,
        ObjectNode extras) {

    public static final String CLASS_NAME = "AutoencoderKL";

    /** The encoder block kinds bkd implements. */
    public enum DownBlockType { DownEncoderBlock2D }

    /** The decoder block kinds bkd implements. */
    public enum UpBlockType { UpDecoderBlock2D }

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
        return new AutoencoderKLConfig(3, 3, List.of(DownBlockType.DownEncoderBlock2D),
                List.of(UpBlockType.UpDecoderBlock2D), List.of(64), 1, "silu", 4, 32, List.of(32), 0.18215,
                null, null, null, true, true, true, true, null);
    }

    /** Spatial down-scaling between image and latent: 2^(levels - 1). */
    public int downscaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    public static AutoencoderKLConfig read(Path file) {
        return from(ConfigReader.read(file));
    }

    public static AutoencoderKLConfig from(ConfigReader r) {
        AutoencoderKLConfig d = defaults();
        r.requireOneOf("_class_name", CLASS_NAME);
        int in = ConfigChecks.positiveInt(r, "in_channels", d.inChannels);
        int out = ConfigChecks.positiveInt(r, "out_channels", d.outChannels);
        List<Integer> boc = intList(r, "block_out_channels", d.blockOutChannels);
        if (boc.isEmpty()) {
            throw r.error("block_out_channels", "must not be empty");
        }
        for (int c : boc) {
            ConfigChecks.atLeastOne(r, "block_out_channels", c);
        }
        List<DownBlockType> down = new ArrayList<>();
        for (String s : r.getStringList("down_block_types", List.of("DownEncoderBlock2D"))) {
            down.add(blockType(r, "down_block_types", DownBlockType.class, s));
        }
        List<UpBlockType> up = new ArrayList<>();
        for (String s : r.getStringList("up_block_types", List.of("UpDecoderBlock2D"))) {
            up.add(blockType(r, "up_block_types", UpBlockType.class, s));
        }
        if (down.size() != boc.size()) {
            throw r.error("down_block_types", "has " + down.size() + " entries but `block_out_channels` has " + boc.size());
        }
        if (up.size() != boc.size()) {
            throw r.error("up_block_types", "has " + up.size() + " entries but `block_out_channels` has " + boc.size());
        }
        int layers = ConfigChecks.positiveInt(r, "layers_per_block", d.layersPerBlock);
        r.requireOneOf("act_fn", "silu", "swish", "gelu");
        String act = r.getString("act_fn", d.actFn);
        int latent = ConfigChecks.positiveInt(r, "latent_channels", d.latentChannels);
        int groups = ConfigChecks.positiveInt(r, "norm_num_groups", d.normNumGroups);
        for (int c : boc) {
            if (c % groups != 0) {
                throw r.error("norm_num_groups", "= " + groups + " does not divide block_out_channels entry " + c
                        + " (GroupNorm needs channels divisible by groups)");
            }
        }
        List<Integer> sample = sampleSize(r, d.sampleSize);
        double scaling = r.getDouble("scaling_factor", d.scalingFactor);
        if (!(scaling > 0) || Double.isInfinite(scaling)) {
            throw r.error("scaling_factor", "must be a positive number, found " + scaling);
        }
        Double shift = r.has("shift_factor") ? r.getDouble("shift_factor", 0) : null;
        List<Double> mean = perChannel(r, "latents_mean", latent);
        List<Double> std = perChannel(r, "latents_std", latent);
        boolean upcast = r.getBool("force_upcast", d.forceUpcast);
        boolean quant = r.getBool("use_quant_conv", d.useQuantConv);
        boolean postQuant = r.getBool("use_post_quant_conv", d.usePostQuantConv);
        boolean midAttn = r.getBool("mid_block_add_attention", d.midBlockAddAttention);
        return new AutoencoderKLConfig(in, out, down, up, boc, layers, act, latent, groups, sample, scaling, shift,
                mean, std, upcast, quant, postQuant, midAttn, r.extras());
    }

    public void save(Path file) {
        ObjectNode o = extras.deepCopy();
        o.put("_class_name", CLASS_NAME);
        o.put("in_channels", inChannels);
        o.put("out_channels", outChannels);
        o.set("down_block_types", ConfigWriter.strings(downBlockTypes.stream().map(Enum::name).toList()));
        o.set("up_block_types", ConfigWriter.strings(upBlockTypes.stream().map(Enum::name).toList()));
        o.set("block_out_channels", ConfigWriter.ints(blockOutChannels));
        o.put("layers_per_block", layersPerBlock);
        o.put("act_fn", actFn);
        o.put("latent_channels", latentChannels);
        o.put("norm_num_groups", normNumGroups);
        if (sampleSize.size() == 1) {
            o.put("sample_size", sampleSize.get(0));
        } else {
            o.set("sample_size", ConfigWriter.ints(sampleSize));
        }
        o.put("scaling_factor", scalingFactor);
        if (shiftFactor == null) {
            o.putNull("shift_factor");
        } else {
            o.put("shift_factor", shiftFactor);
        }
        o.set("latents_mean", latentsMean == null ? o.nullNode() : ConfigWriter.doubles(latentsMean));
        o.set("latents_std", latentsStd == null ? o.nullNode() : ConfigWriter.doubles(latentsStd));
        o.put("force_upcast", forceUpcast);
        o.put("use_quant_conv", useQuantConv);
        o.put("use_post_quant_conv", usePostQuantConv);
        o.put("mid_block_add_attention", midBlockAddAttention);
        ConfigWriter.write(file, o);
    }


    private static List<Integer> intList(ConfigReader r, String field, List<Integer> def) {
        int[] v = r.getIntList(field, null);
        if (v == null) {
            return def;
        }
        List<Integer> out = new ArrayList<>();
        for (int x : v) {
            out.add(x);
        }
        return out;
    }

    private static <E extends Enum<E>> E blockType(ConfigReader r, String field, Class<E> type, String s) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(s)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add("\"" + e.name() + "\"");
        }
        throw r.error(field, "entry \"" + s + "\" is not supported by bkd (supported: " + String.join(", ", names) + ")");
    }

    private static List<Integer> sampleSize(ConfigReader r, List<Integer> def) {
        JsonNode v = r.raw("sample_size");
        if (v == null || v.isNull()) {
            return def;
        }
        if (v.isIntegralNumber()) {
            return List.of(ConfigChecks.positiveInt(r, "sample_size", 0));
        }
        List<Integer> out = intList(r, "sample_size", def);
        if (out.size() != 2) {
            throw r.error("sample_size", "must be an int or [height, width], found " + v);
        }
        for (int x : out) {
            ConfigChecks.atLeastOne(r, "sample_size", x);
        }
        return out;
    }

    private static List<Double> perChannel(ConfigReader r, String field, int latent) {
        JsonNode v = r.raw(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw r.error(field, "must be a list of " + latent + " numbers (one per latent channel) or null, found " + v);
        }
        List<Double> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isNumber()) {
                throw r.error(field, "must be a list of numbers, found element " + e);
            }
            out.add(e.asDouble());
        }
        if (out.size() != latent) {
            throw r.error(field, "has " + out.size() + " entries but `latent_channels` is " + latent);
        }
        return out;
    }
}
