package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.random.Generator;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTransformTest {
    static Images.Rgb grey(int... values) {
        int[] rgb = new int[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = values[i];
        }
        return new Images.Rgb(values.length, 1, rgb);
    }

    static float norm(int v) {
        return (v / 255f - 0.5f) / 0.5f;
    }

    @Test
    void downscaleUsesTheWidenedTriangleFilter() {
        // 4 -> 2: scale 2, support 2. Output 0 centred at 1.0 takes inputs 0..2 with triangle weights
        // 1-|x-1+0.5|/2 = .75,.75,.25 (sum 1.75); output 1 centred at 3.0 takes inputs 1..3 with .25,.75,.75.
        Images.Rgb out = Resize.bilinear(grey(0, 100, 200, 40), 2, 1);
        assertEquals(Math.round((0 * .75 + 100 * .75 + 200 * .25) / 1.75), out.rgb()[0]);
        assertEquals(Math.round((100 * .25 + 200 * .75 + 40 * .75) / 1.75), out.rgb()[3]);
    }

    @Test
    void upscaleIsPlainBilinearWithHalfPixelCentres() {
        // 2 -> 4: centres .25,.75,1.25,1.75 in input pixels; edges clamp. PIL gives 0, 64, 191, 255.
        Images.Rgb out = Resize.bilinear(grey(0, 255), 4, 1);
        assertArrayEquals(new int[] {0, 64, 191, 255}, new int[] {out.rgb()[0], out.rgb()[3], out.rgb()[6], out.rgb()[9]});
    }

    @Test
    void downscalingAFinePatternAveragesInsteadOfAliasing() {
        int[] stripes = new int[64];
        for (int i = 0; i < 64; i++) {
            stripes[i] = i % 2 == 0 ? 0 : 255;
        }
        Images.Rgb out = Resize.bilinear(grey(stripes), 16, 1);
        for (int x = 1; x < 15; x++) { // interior: full filter support
            assertEquals(127.5, out.rgb()[3 * x], 2.0, "pixel " + x);
        }
    }

    @Test
    void shorterSideBecomesTheResolutionLongerSideTruncates() {
        ImageTransform t = new ImageTransform(10, true, false);
        Images.Rgb wide = t.resizeShorterSide(new Images.Rgb(40, 20, new int[40 * 20 * 3]));
        assertEquals(20, wide.width());
        assertEquals(10, wide.height());
        Images.Rgb tall = new ImageTransform(7, true, false).resizeShorterSide(new Images.Rgb(20, 30, new int[20 * 30 * 3]));
        assertEquals(7, tall.width());
        assertEquals(10, tall.height()); // int(7 * 30 / 20) = int(10.5) = 10
    }

    @Test
    void centerCropRoundsHalfToEvenAndNormalisesToMinusOneOne() {
        // 17x8 at resolution 8 needs no resize; left = round((17-8)/2) = round(4.5) = 4 in Python
        int[] rgb = new int[17 * 8 * 3];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 17; x++) {
                int o = (y * 17 + x) * 3;
                rgb[o] = x * 15;
                rgb[o + 1] = 255;
                rgb[o + 2] = 0;
            }
        }
        float[] chw = new ImageTransform(8, true, false).apply(new Images.Rgb(17, 8, rgb), new Generator(1));
        assertEquals(3 * 8 * 8, chw.length);
        assertEquals(norm(4 * 15), chw[0], 0f);          // R at (0,0): source column 4
        assertEquals(norm(11 * 15), chw[7], 0f);         // R at (7,0): source column 11
        assertEquals(1.0f, chw[64 + 5], 0f);             // G plane
        assertEquals(-1.0f, chw[128 + 9], 0f);           // B plane
    }

    @Test
    void randomCropAndFlipAreDrawnFromTheGivenGenerator() {
        int[] rgb = new int[30 * 10 * 3];
        for (int x = 0; x < 30; x++) {
            for (int y = 0; y < 10; y++) {
                rgb[(y * 30 + x) * 3] = x * 8;
            }
        }
        Images.Rgb img = new Images.Rgb(30, 10, rgb);
        ImageTransform t = new ImageTransform(10, false, true);
        boolean sawFlip = false;
        boolean sawPlain = false;
        for (long seed = 0; seed < 40; seed++) {
            float[] a = t.apply(img, new Generator(seed));
            assertArrayEquals(a, t.apply(img, new Generator(seed)), "same seed, same pixels");
            Generator r = new Generator(seed);
            int top = r.nextInt(1);
            int left = r.nextInt(21);
            boolean flip = r.nextDouble() < 0.5;
            assertEquals(0, top);
            int firstColumn = flip ? left + 9 : left;
            assertEquals(norm(firstColumn * 8), a[0], 0f, "seed " + seed);
            sawFlip |= flip;
            sawPlain |= !flip;
        }
        assertTrue(sawFlip && sawPlain);
    }

    @Test
    void greyAndAlphaImagesDecodeLikePilConvertRgb(@TempDir Path dir) throws Exception {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 77);
        grey.getRaster().setSample(1, 0, 0, 200);
        Images.Rgb g = Images.read(TinyImages.write(dir.resolve("g.png"), grey, "png"));
        assertArrayEquals(new int[] {77, 77, 77, 200, 200, 200}, g.rgb());

        BufferedImage rgba = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, (10 << 24) | (200 << 16) | (100 << 8) | 50); // nearly transparent
        Images.Rgb a = Images.read(TinyImages.write(dir.resolve("a.png"), rgba, "png"));
        assertArrayEquals(new int[] {200, 100, 50}, a.rgb());
    }
}
