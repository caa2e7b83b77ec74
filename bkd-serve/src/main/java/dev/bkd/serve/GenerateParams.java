package dev.bkd.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A checked {@code POST /sdapi/v1/txt2img} or {@code img2img} body, A1111's field names and defaults (steps 50,
 * cfg_scale 7, seed -1 = random, batch_size 1, n_iter 1). Width and height default to the model's size; for
 * image-to-image without a mask, to the first init image's size floored to multiples of 8 (as diffusers does).
 * Image {@code i} of the request uses seed {@code seed + i}, as in A1111, so any image can be made again alone.
 *
 * @param image the init images and strength for img2img; null for txt2img
 */
record GenerateParams(String job, String prompt, String negativePrompt, int steps, double cfgScale, int width,
        int height, long seed, Samplers.Sampler sampler, int batchSize, int nIter, int clipSkip, boolean sendImages,
        Img2ImgInput image, List<String> ignoredSettings, ObjectNode parameters) {

    static final long MAX_SEED = 0xFFFF_FFFFL;

    /**
     * A1111 fields bkd cannot honour: refused (422) unless they hold their "off" value, so a client that asks
     * for hires fix or face restoration learns it did not happen instead of getting a silently different image.
     */
    private static final Map<String, Predicate<JsonNode>> UNSUPPORTED_UNLESS_OFF = Map.of(
            "enable_hr", v -> v.isBoolean() && !v.booleanValue(),
            "restore_faces", v -> v.isBoolean() && !v.booleanValue(),
            "tiling", v -> v.isBoolean() && !v.booleanValue(),
            "subseed_strength", v -> v.isNumber() && v.asDouble() == 0,
            "script_name", v -> v.isTextual() && v.textValue().isEmpty());

    int imageCount() {
        return batchSize * nIter;
    }

    /** Reads and checks {@code body}; nothing is allocated for the model here. */
    static GenerateParams parse(JsonNode body, RequestLimits lim, Settings settings, int defaultWidth,
            int defaultHeight, ObjectMapper json, boolean img2img) {
        if (body == null || !body.isObject()) {
            throw ApiException.malformed("the request body must be a JSON object");
        }
        Img2ImgInput image = img2img ? Img2ImgInput.parse(body, lim) : null;
        if (image != null && image.mask() == null) {
            BufferedImage first = image.initImages().get(0);
            defaultWidth = first.getWidth() / 8 * 8;
            defaultHeight = first.getHeight() / 8 * 8;
            if (defaultWidth > lim.maxSide() || defaultHeight > lim.maxSide() || defaultWidth < 8
                    || defaultHeight < 8) {
                throw ApiException.invalid("width", "is not given and init_images[0] is " + first.getWidth() + "x"
                        + first.getHeight() + "; give `width` and `height` in 8.." + lim.maxSide());
            }
        }
        for (Map.Entry<String, Predicate<JsonNode>> u : UNSUPPORTED_UNLESS_OFF.entrySet()) {
            if (!JsonFields.absent(body, u.getKey()) && !u.getValue().test(body.get(u.getKey()))) {
                throw new ApiException(422, "Unsupported", "`" + u.getKey() + "` = " + body.get(u.getKey())
                        + " is not supported by bkd; leave it out or set it off");
            }
        }
        String prompt = JsonFields.string(body, "prompt", "", lim.maxPromptChars());
        String negative = JsonFields.string(body, "negative_prompt", "", lim.maxPromptChars());
        int steps = (int) JsonFields.integer(body, "steps", Math.min(50, lim.maxSteps()), 1, lim.maxSteps());
        double cfg = JsonFields.number(body, "cfg_scale", 7.0, 0, 100);
        int width = size(body, "width", defaultWidth, lim);
        int height = size(body, "height", defaultHeight, lim);
        long seed = JsonFields.integer(body, "seed", -1, -1, MAX_SEED);
        int batch = (int) JsonFields.integer(body, "batch_size", 1, 1, lim.maxImages());
        int nIter = (int) JsonFields.integer(body, "n_iter", 1, 1, lim.maxImages());
        if ((long) batch * nIter > lim.maxImages()) {
            throw ApiException.invalid("batch_size", "x `n_iter` = " + batch + " x " + nIter + " images; at most "
                    + lim.maxImages() + " per request");
        }
        Samplers.Sampler sampler = sampler(body);
        boolean send = JsonFields.bool(body, "send_images", true);
        JsonNode overrides = JsonFields.object(body, "override_settings");
        Settings.Checked checked = overrides == null ? null : settings.check(overrides);
        int clipSkip = (Integer) settings.get(Settings.CLIP_SKIP, checked);
        settings.get(Settings.MODEL, checked);

        ObjectNode params = json.createObjectNode();
        params.put("prompt", prompt).put("negative_prompt", negative).put("steps", steps).put("cfg_scale", cfg)
                .put("width", width).put("height", height).put("seed", seed)
                .put("sampler_name", sampler == null ? null : sampler.name()).put("batch_size", batch)
                .put("n_iter", nIter).put("send_images", send);
        params.set("override_settings", overrides == null ? json.createObjectNode() : overrides);
        if (image != null) {
            // like A1111 without include_init_images: the images are not sent back
            params.put("denoising_strength", image.strength()).putNull("init_images").putNull("mask")
                    .put("resize_mode", image.resizeMode().ordinal());
        }
        return new GenerateParams(img2img ? "img2img" : "txt2img", prompt, negative, steps, cfg, width, height, seed,
                sampler, batch, nIter, clipSkip, send, image, checked == null ? List.of() : checked.ignored(),
                params);
    }

    private static int size(JsonNode body, String field, int dflt, RequestLimits lim) {
        int v = (int) JsonFields.integer(body, field, dflt, 8, lim.maxSide());
        if (v % 8 != 0) {
            throw ApiException.invalid(field, "= " + v + " must be a multiple of 8");
        }
        return v;
    }

    /** {@code sampler_name}, else A1111's older {@code sampler_index} (also a name); null: the model's scheduler. */
    private static Samplers.Sampler sampler(JsonNode body) {
        String field = JsonFields.absent(body, "sampler_name") ? "sampler_index" : "sampler_name";
        String name = JsonFields.string(body, field, null, 100);
        if (name == null || name.isEmpty()) {
            return null;
        }
        return Samplers.find(name).orElseThrow(() -> new ApiException(404, "SamplerNotFound", "sampler `" + name
                + "` not found (`" + field + "`); known: " + String.join(", ", Samplers.names())
                + " (GET /sdapi/v1/samplers)"));
    }
}
