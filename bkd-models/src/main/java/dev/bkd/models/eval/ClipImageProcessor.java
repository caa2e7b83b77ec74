package dev.bkd.models.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import java.nio.file.Path;
import java.util.List;

/**
 * transformers' CLIPImageProcessor on its PIL backend ({@code CLIPImageProcessorPil}, the reference): resize so
 * the shortest side is {@code shortestEdge} (the long side floors) with PIL's antialiased bicubic, centre crop,
 * x·rescale in double cast to float, then (x − mean)/std in float.
 *
 * @param shortestEdge 0 when {@code size} is an exact height/width ({@code resizeHeight}, {@code resizeWidth})
 */
public record ClipImageProcessor(boolean doResize, int shortestEdge, int resizeHeight, int resizeWidth,
        boolean doCenterCrop, int cropHeight, int cropWidth, boolean doRescale, double rescaleFactor,
        boolean doNormalize, float[] mean, float[] std) {

    public static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    /** PIL's resample code for BICUBIC, the only one CLIP processors use. */
    private static final int PIL_BICUBIC = 3;

    /** openai/clip-vit-*'s processor for an {@code imageSize} model (used when no preprocessor_config.json exists). */
    public static ClipImageProcessor openai(int imageSize) {
        return new ClipImageProcessor(true, imageSize, 0, 0, true, imageSize, imageSize, true, 1 / 255.0, true,
                OPENAI_MEAN, OPENAI_STD);
    }

    /** Reads a preprocessor_config.json in the legacy ({@code "size": 224}) or the dict form. */
    public static ClipImageProcessor read(Path file) {
        return from(ConfigReader.read(file));
    }

    static ClipImageProcessor from(ConfigReader r) {
        r.requireOneOf("resample", PIL_BICUBIC);
        r.requireOneOf("do_convert_rgb", true, null);
        int shortest = 0;
        int rh = 0;
        int rw = 0;
        JsonNode size = r.raw("size");
        if (size == null || size.isIntegralNumber()) {
            shortest = size == null ? 224 : size.asInt();
        } else if (size.has("shortest_edge")) {
            shortest = size.get("shortest_edge").asInt();
        } else if (size.has("height") && size.has("width")) {
            rh = size.get("height").asInt();
            rw = size.get("width").asInt();
        } else {
            throw r.error("size", "must be a number, {\"shortest_edge\": N} or {\"height\": H, \"width\": W}, found "
                    + size);
        }
        JsonNode crop = r.raw("crop_size");
        int ch;
        int cw;
        if (crop == null || crop.isIntegralNumber()) {
            ch = cw = crop == null ? 224 : crop.asInt();
        } else if (crop.has("height") && crop.has("width")) {
            ch = crop.get("height").asInt();
            cw = crop.get("width").asInt();
        } else {
            throw r.error("crop_size", "must be a number or {\"height\": H, \"width\": W}, found " + crop);
        }
        if (shortest < 0 || rh < 0 || rw < 0 || ch <= 0 || cw <= 0 || (shortest == 0 && (rh == 0 || rw == 0))) {
            throw r.error("size", "sizes must be positive (size " + size + ", crop_size " + crop + ")");
        }
        float[] mean = floats(r, "image_mean", OPENAI_MEAN);
        float[] std = floats(r, "image_std", OPENAI_STD);
        return new ClipImageProcessor(r.getBool("do_resize", true), shortest, rh, rw, r.getBool("do_center_crop", true),
                ch, cw, r.getBool("do_rescale", true), r.getDouble("rescale_factor", 1 / 255.0),
                r.getBool("do_normalize", true), mean, std);
    }

    private static float[] floats(ConfigReader r, String field, float[] def) {
        JsonNode n = r.raw(field);
        if (n == null) {
            return def;
        }
        if (!n.isArray() || n.size() != 3) {
            throw r.error(field, "must be a list of 3 numbers (R, G, B), found " + n);
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }

    /** The resize target (width, height) for an input of {@code w} x {@code h}: transformers' shortest-edge rule. */
    int[] resizedSize(int w, int h) {
        if (shortestEdge == 0) {
            return new int[] {resizeWidth, resizeHeight};
        }
        boolean wide = w > h;
        int shortSide = wide ? h : w;
        int longSide = wide ? w : h;
        int newLong = (int) ((long) shortestEdge * longSide / shortSide);
        return wide ? new int[] {newLong, shortestEdge} : new int[] {shortestEdge, newLong};
    }

    /** The resized, centre-cropped 8-bit picture. */
    public RgbImage resizeAndCrop(RgbImage img) {
        RgbImage r = img;
        if (doResize) {
            int[] s = resizedSize(img.width(), img.height());
            r = PilBicubic.resize(img, s[0], s[1]);
        }
        if (!doCenterCrop) {
            return r;
        }
        if (r.width() < cropWidth || r.height() < cropHeight) {
            throw new ImageFileException("image of " + img.width() + "x" + img.height() + " is " + r.width() + "x"
                    + r.height() + " after resizing, smaller than the " + cropWidth + "x" + cropHeight
                    + " crop of this CLIP processor");
        }
        int top = (r.height() - cropHeight) / 2;
        int left = (r.width() - cropWidth) / 2;
        byte[] out = new byte[cropWidth * cropHeight * 3];
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(r.hwc(), ((top + y) * r.width() + left) * 3, out, y * cropWidth * 3, cropWidth * 3);
        }
        return new RgbImage(cropWidth, cropHeight, out);
    }

    /** pixel_values of one picture, (3, H, W) flattened. */
    public float[] pixelValues(RgbImage img) {
        return normalise(resizeAndCrop(img));
    }

    private float[] normalise(RgbImage c) {
        int plane = c.width() * c.height();
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int ch = 0; ch < 3; ch++) {
                int u = c.hwc()[i * 3 + ch] & 0xFF;
                float x = doRescale ? (float) (u * rescaleFactor) : u;
                out[ch * plane + i] = doNormalize ? (x - mean[ch]) / std[ch] : x;
            }
        }
        return out;
    }

    /** A batch of pictures as pixel_values (B, 3, H, W) float32 in {@code manager}. */
    public NDArray pixelValues(List<RgbImage> images, NDManager manager) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to preprocess");
        }
        RgbImage first = resizeAndCrop(images.get(0));
        int n = 3 * first.width() * first.height();
        float[] all = new float[n * images.size()];
        for (int i = 0; i < images.size(); i++) {
            RgbImage c = i == 0 ? first : resizeAndCrop(images.get(i));
            if (c.width() != first.width() || c.height() != first.height()) {
                throw new ImageFileException("this CLIP processor does not crop, so pictures of different sizes ("
                        + first.width() + "x" + first.height() + " and " + c.width() + "x" + c.height()
                        + ") cannot share a batch");
            }
            System.arraycopy(normalise(c), 0, all, i * n, n);
        }
        return manager.create(all, new Shape(images.size(), 3, first.height(), first.width()));
    }
}
