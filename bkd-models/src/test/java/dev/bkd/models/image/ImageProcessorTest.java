package dev.bkd.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** Resizing, modes and binarisation of {@link ImageProcessor}, on images whose answer is known by construction. */
class ImageProcessorTest {

    private static BufferedImage rgb(int w, int h, java.util.function.IntBinaryOperator pixel) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, pixel.applyAsInt(x, y));
            }
        }
        return img;
    }

    @Test
    void defaultSizeFloorsToTheScaleFactor() {
        assertArrayEquals(new int[] {64, 96}, ImageProcessor.defaultSize(rgb(71, 100, (x, y) -> 0), 8));
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageProcessor.defaultSize(rgb(7, 100, (x, y) -> 0), 8));
        assertTrue(e.getMessage().contains("7x100"), e.getMessage());
    }

    @Test
    void lanczosKeepsConstantsAndMirrorSymmetry() {
        int[] flat = new int[37 * 23];
        java.util.Arrays.fill(flat, 200);
        for (int[] size : new int[][] {{16, 8}, {64, 64}, {37, 40}}) {
            int[] out = PilResize.resize(flat, 37, 23, size[0], size[1]);
            assertTrue(java.util.Arrays.stream(out).allMatch(v -> v == 200), "constant at " + size[0] + "x" + size[1]);
        }
        int w = 19;
        int[] ramp = new int[w];
        int[] mirrored = new int[w];
        for (int x = 0; x < w; x++) {
            ramp[x] = (x * 37) % 256;
            mirrored[w - 1 - x] = ramp[x];
        }
        int[] a = PilResize.resize(ramp, w, 1, 8, 1);
        int[] b = PilResize.resize(mirrored, w, 1, 8, 1);
        for (int x = 0; x < 8; x++) {
            assertEquals(a[x], b[7 - x], "mirror at " + x);
        }
        assertEquals(0.0, PilResize.lanczos(3.0));
        assertEquals(1.0, PilResize.lanczos(0.0));
        assertEquals(0.0, PilResize.lanczos(1.0), 1e-15, "Lanczos is zero at the other integers");
    }

    @Test
    void cropModeCutsTheCentre() {
        BufferedImage wide = rgb(128, 64, (x, y) -> (x << 16) | (y << 8) | 7);
        float[] out = ImageProcessor.preprocess(wide, 64, 64, ResizeMode.CROP);
        // same height, so no resampling: column j of the output is column j + 32 of the source
        for (int j : new int[] {0, 17, 63}) {
            assertEquals(2f * ((j + 32) / 255f) - 1f, out[5 * 64 + j], "red at column " + j);
            assertEquals(2f * (5 / 255f) - 1f, out[64 * 64 + 5 * 64 + j], "green = row");
        }
        float[] stretched = ImageProcessor.preprocess(wide, 64, 64, ResizeMode.DEFAULT);
        assertTrue(stretched[5 * 64 + 63] > out[5 * 64 + 63], "default mode stretches the whole width in");
    }

    @Test
    void greyAndAlphaImagesBecomeRgbAndMasksBinariseAtHalf() {
        BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(3, 2, 0, 128);
        grey.getRaster().setSample(4, 2, 0, 127);
        float[] img = ImageProcessor.preprocess(grey, 8, 8, ResizeMode.DEFAULT);
        for (int c = 0; c < 3; c++) {
            assertEquals(2f * (128 / 255f) - 1f, img[c * 64 + 2 * 8 + 3], "grey read as stored, channel " + c);
        }
        float[] mask = ImageProcessor.mask(grey, 8, 8, ResizeMode.DEFAULT);
        assertEquals(1f, mask[2 * 8 + 3], "128/255 >= 0.5 repaints");
        assertEquals(0f, mask[2 * 8 + 4], "127/255 < 0.5 keeps");

        BufferedImage argb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(1, 1, 0x00FF8000); // fully transparent orange: convert("RGB") drops alpha
        float[] rgb = ImageProcessor.preprocess(argb, 8, 8, ResizeMode.DEFAULT);
        assertEquals(1f, rgb[9]);
        assertEquals(2f * (128 / 255f) - 1f, rgb[64 + 9]);
        // PIL's L of pure red: (255 * 19595 + 2^15) >> 16 = 76
        BufferedImage red = rgb(8, 8, (x, y) -> 0xFF0000);
        assertEquals(76, ImageProcessor.gray(red)[0]);
    }
}
