package dev.bkd.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.models.image.ResizeMode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The image part of {@code POST /sdapi/v1/img2img}: {@code init_images} (base64, optionally as a data URL),
 * {@code denoising_strength} (A1111's default 0.75), {@code mask} (white = repaint), {@code inpainting_mask_invert},
 * {@code resize_mode}. Image {@code i} of a request starts from init image {@code i mod count}, as in A1111.
 * Sizes are read from the image header before any pixel is decoded, so a small file that unpacks to a huge image
 * is refused without allocating it. {@code mask_blur}, {@code inpainting_fill} and {@code inpaint_full_res} are
 * not applied (bkd inpaints the whole image with a sharp mask).
 */
record Img2ImgInput(List<BufferedImage> initImages, BufferedImage mask, double strength, ResizeMode resizeMode) {
    /** A1111's resize_mode numbers; 2 (resize and fill) and 3 (latent upscale) bkd does not have. */
    private static final Map<Integer, ResizeMode> RESIZE_MODES = Map.of(0, ResizeMode.DEFAULT, 1, ResizeMode.CROP);

    BufferedImage initImage(int index) {
        return initImages.get(index % initImages.size());
    }

    static Img2ImgInput parse(JsonNode body, RequestLimits lim) {
        JsonNode list = body.get("init_images");
        if (list == null || list.isNull()) {
            throw ApiException.invalid("init_images", "is missing: give one or more base64 images");
        }
        if (!list.isArray() || list.isEmpty()) {
            throw ApiException.invalid("init_images", "must be a non-empty array of base64 images, got "
                    + JsonFields.typeName(list));
        }
        if (list.size() > lim.maxImages()) {
            throw ApiException.invalid("init_images", "has " + list.size() + " images; at most " + lim.maxImages());
        }
        int maxSide = 4 * lim.maxSide();
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            images.add(decode("init_images[" + i + "]", list.get(i), maxSide));
        }
        double strength = JsonFields.number(body, "denoising_strength", 0.75, 0, 1);
        if (strength == 0) {
            throw ApiException.invalid("denoising_strength", "= 0 would return the init image unchanged; give a"
                    + " value in (0, 1]");
        }
        BufferedImage mask = JsonFields.absent(body, "mask") ? null : decode("mask", body.get("mask"), maxSide);
        if (mask != null && JsonFields.integer(body, "inpainting_mask_invert", 0, 0, 1) == 1) {
            mask = invert(mask);
        }
        int mode = (int) JsonFields.integer(body, "resize_mode", 0, 0, 3);
        ResizeMode resize = RESIZE_MODES.get(mode);
        if (resize == null) {
            throw new ApiException(422, "Unsupported", "`resize_mode` = " + mode + " is not supported by bkd (0:"
                    + " just resize, 1: crop and resize)");
        }
        return new Img2ImgInput(List.copyOf(images), mask, strength, resize);
    }

    private static BufferedImage decode(String field, JsonNode v, int maxSide) {
        if (!v.isTextual()) {
            throw ApiException.invalid(field, "must be a base64 string, got " + JsonFields.typeName(v));
        }
        String text = v.textValue();
        if (text.startsWith("data:image/")) {
            text = text.substring(text.indexOf(',') + 1);
        }
        byte[] bytes;
        try {
            // line breaks (MIME-style base64) are allowed, anything else outside the alphabet is an error
            bytes = Base64.getDecoder().decode(text.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "is not valid base64: " + e.getMessage());
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw ApiException.invalid(field, "is not an image this JVM can read (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w > maxSide || h > maxSide) {
                    throw ApiException.invalid(field, "is " + w + "x" + h + "; at most " + maxSide + " pixels a side"
                            + " are accepted");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw ApiException.invalid(field, "cannot be decoded: " + e.getMessage());
        }
    }

    private static BufferedImage invert(BufferedImage m) {
        BufferedImage out = new BufferedImage(m.getWidth(), m.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < m.getHeight(); y++) {
            for (int x = 0; x < m.getWidth(); x++) {
                out.setRGB(x, y, ~m.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return out;
    }
}
