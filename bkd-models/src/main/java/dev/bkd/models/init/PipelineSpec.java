package dev.bkd.models.init;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.SchedulerConfig;
import dev.bkd.core.config.TokenizerConfig;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.models.tokenizer.BpeVocabulary;
import dev.bkd.models.tokenizer.WordVocabulary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code bkd init} builds: one JSON object with a section per component, each holding that component's own
 * config.json fields. The fields that tie components together are derived, not written: the text encoder's
 * vocabulary size, positions and special ids come from the tokenizer; the UNet's cross-attention width from the
 * text encoder; its channels and sample size from the VAE's latents.
 */
public record PipelineSpec(String description, BpeVocabulary vocabulary, int maxLength, ClipTextConfig textEncoder,
        AutoencoderKLConfig vae, UNet2DConditionConfig unet, SchedulerConfig scheduler) {
    private static final String PRESETS = "/dev/bkd/models/init/";
    /** Built-in presets. */
    public static final List<String> PRESET_NAMES = List.of("demo");

    /** A built-in preset by name, or a spec .json file. */
    public static PipelineSpec resolve(String presetOrFile) {
        if (PRESET_NAMES.contains(presetOrFile)) {
            try (InputStream in = PipelineSpec.class.getResourceAsStream(PRESETS + presetOrFile + ".json")) {
                return parse("preset " + presetOrFile, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ConfigException("preset " + presetOrFile + ": cannot read: " + e.getMessage(), e);
            }
        }
        Path file = Path.of(presetOrFile);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("unknown preset \"" + presetOrFile + "\" (built in: "
                    + String.join(", ", PRESET_NAMES) + ", or a spec .json file)");
        }
        try {
            return parse(file.toString(), Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses a spec; every component section is checked like its config.json would be. */
    public static PipelineSpec parse(String label, String json) {
        ConfigReader root = ConfigReader.parse(label, json);
        ObjectNode tok = section(root, "tokenizer");
        List<String> words = new ArrayList<>();
        tok.path("words").forEach(w -> words.add(w.asText()));
        if (words.isEmpty()) {
            throw root.error("tokenizer.words", "must list the words that become single tokens");
        }
        int maxLength = tok.path("model_max_length").asInt(77);
        if (maxLength < 3) {
            throw root.error("tokenizer.model_max_length", "must be at least 3, found " + maxLength);
        }
        BpeVocabulary vocab = WordVocabulary.build(words);
        int size = vocab.vocab().size();

        ObjectNode te = section(root, "text_encoder");
        te.put("vocab_size", size);
        te.put("max_position_embeddings", maxLength);
        te.put("bos_token_id", vocab.vocab().get(TokenizerConfig.DEFAULT_BOS));
        te.put("eos_token_id", vocab.vocab().get(TokenizerConfig.DEFAULT_EOS));
        te.put("pad_token_id", vocab.vocab().get(TokenizerConfig.DEFAULT_EOS));
        ClipTextConfig text = ClipTextConfig.from(new ConfigReader(label + ": text_encoder", te));

        AutoencoderKLConfig vae = AutoencoderKLConfig.from(new ConfigReader(label + ": vae", section(root, "vae")));

        ObjectNode u = section(root, "unet");
        u.put("cross_attention_dim", text.hiddenSize());
        u.put("in_channels", vae.latentChannels());
        u.put("out_channels", vae.latentChannels());
        u.put("sample_size", vae.sampleSize().get(0) / vae.downscaleFactor());
        UNet2DConditionConfig unet = UNet2DConditionConfig.from(new ConfigReader(label + ": unet", u));

        SchedulerConfig sched = SchedulerConfig.from(new ConfigReader(label + ": scheduler", section(root, "scheduler")));
        if (sched.className() == null) {
            throw root.error("scheduler._class_name", "must name the sampling scheduler class");
        }
        return new PipelineSpec(root.getString("description", ""), vocab, maxLength, text, vae, unet, sched);
    }

    private static ObjectNode section(ConfigReader root, String name) {
        JsonNode n = root.raw(name);
        if (n == null || !n.isObject()) {
            throw root.error(name, "must be an object with the " + name + " config fields");
        }
        return ((ObjectNode) n).deepCopy();
    }
}
