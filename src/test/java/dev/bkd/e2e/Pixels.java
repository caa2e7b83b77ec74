package dev.bkd.e2e;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** PNG pixels for comparing pictures in tests. */
final class Pixels {
    private Pixels() {}

    /** The image's packed ARGB pixels, row by row. */
    static int[] of(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    /** The largest difference of one R, G or B value between two same-size pictures (0..255). */
    static int maxChannelDiff(int[] a, int[] b) {
        if (a.length != b.length) {
            throw new AssertionError("pictures of different sizes: " + a.length + " vs " + b.length + " pixels");
        }
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int shift = 0; shift < 24; shift += 8) {
                max = Math.max(max, Math.abs((a[i] >> shift & 0xff) - (b[i] >> shift & 0xff)));
            }
        }
        return max;
    }
}
