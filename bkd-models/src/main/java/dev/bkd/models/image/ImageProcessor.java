package dev.bkd.models.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * diffusers' VaeImageProcessor for init images and masks, on {@link BufferedImage}s:
 *
 * <ul>
 *   <li><b>Mode.</b> Images become 8-bit RGB like diffusers' {@code load_image} ({@code .convert("RGB")}: alpha is
 *       dropped, grey is copied to the three channels, palettes are expanded); masks become 8-bit grey like the mask
 *       processor's {@code convert("L")} (L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, PIL's integer formula).
 *       Grey and 16-bit rasters are read as stored (Java's {@code getRGB} would apply a colour conversion).</li>
 *   <li><b>Size.</b> Resized to the target with PIL's Lanczos filter ({@link PilResize}), stretched
 *       ({@link ResizeMode#DEFAULT}) or scaled to cover and centre-cropped ({@link ResizeMode#CROP}); an image that
 *       already has the target size is used as is. {@link #defaultSize} is diffusers' size when none is asked
 *       for: the image's, each side floored to a multiple of the VAE scale factor.</li>
 *   <li><b>Values.</b> Images: x / 255 then 2x - 1 in float32, [-1, 1]; masks: x / 255, then binarised
 *       (&ge; 0.5 becomes 1 = repaint, below becomes 0 = keep), never normalised.</li>
 * </ul>
 */
public final class ImageProcessor {
    private ImageProcessor() {}

    /** diffusers' get_default_height_width: {width, height} of the image, each floored to a multiple of factor. */
    public static int[] defaultSize(BufferedImage image, int factor) {
        int w = image.getWidth() - image.getWidth() % factor;
        int h = image.getHeight() - image.getHeight() % factor;
        if (w == 0 || h == 0) {
            throw new ImageInputException("the init image is " + image.getWidth() + "x" + image.getHeight()
                    + " pixels; it needs at least " + factor + " in each direction (the VAE scale factor)");
        }
        return new int[] {w, h};
    }

    /** The image as a (3, height, width) row-major float array in [-1, 1], resized as the class describes. */
    public static float[] preprocess(BufferedImage image, int width, int height, ResizeMode mode) {
        int[][] rgb = rgb(image);
        float[] out = new float[3 * width * height];
        for (int c = 0; c < 3; c++) {
            int[] plane = fit(rgb[c], image.getWidth(), image.getHeight(), width, height, mode);
            for (int i = 0; i < plane.length; i++) {
                float x = plane[i] / 255f;
                out[c * plane.length + i] = 2f * x - 1f;
            }
        }
        return out;
    }

    /** The mask as a (height, width) array of 0 (keep) and 1 (repaint), resized as the class describes. */
    public static float[] mask(BufferedImage mask, int width, int height, ResizeMode mode) {
        int[] plane = fit(gray(mask), mask.getWidth(), mask.getHeight(), width, height, mode);
        float[] out = new float[plane.length];
        for (int i = 0; i < plane.length; i++) {
            out[i] = plane[i] / 255f >= 0.5f ? 1f : 0f;
        }
        return out;
    }

    /** One 8-bit channel resized to width x height: stretched, or scaled to cover and cropped centred. */
    static int[] fit(int[] plane, int w, int h, int width, int height, ResizeMode mode) {
        if (mode == ResizeMode.DEFAULT || (w == width && h == height)) {
            return PilResize.resize(plane, w, h, width, height);
        }
        // diffusers' _resize_and_crop: integer sizes as Python computes them, pasted at a floored centre offset
        double ratio = (double) width / height;
        double srcRatio = (double) w / h;
        int srcW = ratio > srcRatio ? width : w * height / h;
        int srcH = ratio <= srcRatio ? height : h * width / w;
        int[] resized = PilResize.resize(plane, w, h, srcW, srcH);
        int ox = width / 2 - srcW / 2;
        int oy = height / 2 - srcH / 2;
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int sx = x - ox;
                int sy = y - oy;
                if (sx >= 0 && sy >= 0 && sx < srcW && sy < srcH) {
                    out[y * width + x] = resized[sy * srcW + sx];
                }
            }
        }
        return out;
    }

    /** R, G, B planes (h x w, 0..255) as PIL's convert("RGB") gives them. */
    static int[][] rgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[][] out = new int[3][w * h];
        if (isGray(image)) {
            int[] g = gray(image);
            for (int c = 0; c < 3; c++) {
                out[c] = g.clone();
            }
            return out;
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = image.getRGB(x, y);
                out[0][y * w + x] = (p >> 16) & 0xff;
                out[1][y * w + x] = (p >> 8) & 0xff;
                out[2][y * w + x] = p & 0xff;
            }
        }
        return out;
    }

    /** The grey plane (h x w, 0..255) as PIL's convert("L") gives it. */
    static int[] gray(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] out = new int[w * h];
        if (isGray(image)) {
            Raster r = image.getRaster();
            int shift = Math.max(r.getSampleModel().getSampleSize(0) - 8, 0);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = r.getSample(x, y, 0) >> shift;
                }
            }
            return out;
        }
        int[][] rgb = rgb(image);
        for (int i = 0; i < out.length; i++) {
            out[i] = (rgb[0][i] * 19595 + rgb[1][i] * 38470 + rgb[2][i] * 7471 + 0x8000) >> 16;
        }
        return out;
    }

    /** Grey or grey + alpha without a palette: read the raster, not getRGB (which converts grey colour spaces). */
    private static boolean isGray(BufferedImage image) {
        return image.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
                && !(image.getColorModel() instanceof java.awt.image.IndexColorModel);
    }
}
