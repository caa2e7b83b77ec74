package dev.bkd.models.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.bkd.core.config.ConfigReader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What produced one image, as the "parameters" text AUTOMATIC1111's web UI writes into PNGs (and other SD tools
 * read back): the prompt, a {@code Negative prompt:} line when there is one, then
 * {@code Steps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 512x512, Model: ...}; image-to-image and
 * inpainting add {@code Denoising strength: 0.6} as A1111's img2img tab does ({@code denoisingStrength}, null for
 * text-to-image).
 */
public record GenerationParameters(String prompt, String negativePrompt, int steps, String scheduler,
        double guidanceScale, long seed, int width, int height, String model, String promptSyntax, int clipSkip,
        String rng, Double denoisingStrength) {

    /** Text-to-image (no denoising strength). */
    public GenerationParameters(String prompt, String negativePrompt, int steps, String scheduler,
            double guidanceScale, long seed, int width, int height, String model, String promptSyntax, int clipSkip,
            String rng) {
        this(prompt, negativePrompt, steps, scheduler, guidanceScale, seed, width, height, model, promptSyntax,
                clipSkip, rng, null);
    }

    /** Without the prompt syntax, CLIP skip and RNG (not written to the infotext). */
    public GenerationParameters(String prompt, String negativePrompt, int steps, String scheduler,
            double guidanceScale, long seed, int width, int height, String model) {
        this(prompt, negativePrompt, steps, scheduler, guidanceScale, seed, width, height, model, null, 1, null, null);
    }

    /** The PNG text key A1111 uses. */
    public static final String PNG_KEY = "parameters";

    private static final Map<String, String> SAMPLER_LABELS = Map.of(
            "pndm", "PNDM", "ddim", "DDIM", "ddpm", "DDPM", "euler", "Euler", "euler-a", "Euler a",
            "dpm++2m", "DPM++ 2M", "lms", "LMS");

    /** The sampler as A1111 names it ("Euler a", "DPM++ 2M", ...); bkd's name when A1111 has none. */
    public String samplerLabel() {
        return SAMPLER_LABELS.getOrDefault(scheduler, scheduler);
    }

    /** The A1111 "infotext". */
    public String toInfotext() {
        Map<String, String> line = new LinkedHashMap<>();
        line.put("Steps", Integer.toString(steps));
        line.put("Sampler", samplerLabel());
        line.put("CFG scale", Double.toString(guidanceScale));
        line.put("Seed", Long.toUnsignedString(seed)); // torch seeds are uint64
        line.put("Size", width + "x" + height);
        if (model != null && !model.isEmpty()) {
            line.put("Model", model);
        }
        if (denoisingStrength != null) {
            line.put("Denoising strength", Double.toString(denoisingStrength));
        }
        // A1111 writes "Clip skip" only above 1 and "RNG" only when it is not its GPU default
        if (clipSkip > 1) {
            line.put("Clip skip", Integer.toString(clipSkip));
        }
        if (rng != null) {
            line.put("RNG", rng);
        }
        if (promptSyntax != null) {
            line.put("Prompt syntax", promptSyntax);
        }
        StringBuilder sb = new StringBuilder(prompt);
        if (negativePrompt != null && !negativePrompt.isEmpty()) {
            sb.append("\nNegative prompt: ").append(negativePrompt);
        }
        sb.append('\n');
        String sep = "";
        for (Map.Entry<String, String> e : line.entrySet()) {
            sb.append(sep).append(e.getKey()).append(": ").append(quote(e.getValue()));
            sep = ", ";
        }
        return sb.toString();
    }

    /** A1111 JSON-quotes a value that holds a comma, colon or newline, so the line still splits cleanly. */
    static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf(':') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        try {
            return ConfigReader.MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
