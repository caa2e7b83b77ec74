package dev.bkd.models.eval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** An 8-bit RGB picture as PIL's {@code convert("RGB")} holds it: row-major, interleaved R, G, B bytes. */
public record RgbImage(int width, int height, byte[] hwc) {

    public RgbImage {
        if (width <= 0 || height <= 0 || hwc.length != width * height * 3) {
            throw new IllegalArgumentException("RGB image " + width + "x" + height + " needs " + (width * height * 3)
                    + " bytes, got " + hwc.length);
        }
    }

    /** Channel {@code c} of pixel (x, y), 0..255. */
    public int at(int x, int y, int c) {
        return hwc[(y * width + x) * 3 + c] & 0xFF;
    }

    public static RgbImage of(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] d = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                d[i] = (byte) (row[x] >> 16);
                d[i + 1] = (byte) (row[x] >> 8);
                d[i + 2] = (byte) row[x];
            }
        }
        return new RgbImage(w, h, d);
    }

    /** Reads a PNG/JPEG/BMP; alpha is dropped like PIL's convert("RGB") (no blending). */
    public static RgbImage read(Path file) {
        BufferedImage img;
        try {
            img = Files.isRegularFile(file) ? ImageIO.read(file.toFile()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new ImageFileException(file + " is not a readable image (PNG, JPEG, BMP or GIF)");
        }
        return of(img);
    }
}
