package dev.bkd.train.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small images written with ImageIO for the data tests. */
final class TinyImages {
    private TinyImages() {}

    /** An RGB image whose pixel (x, y) is (r(x, y), g, b) from {@code px}. */
    interface Pixel {
        int rgb(int x, int y);
    }

    /** {@code n} small PNGs img0..img{n-1} (10+i x 9 px) with captions "caption i", opened as a dataset. */
    static CaptionedDataset captioned(Path root, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            png(root.resolve("img" + i + ".png"), 10 + i, 9, i);
            Files.writeString(root.resolve("img" + i + ".txt"), "caption " + i);
        }
        return CaptionedDataset.open(root, DatasetOptions.defaults());
    }

    static BufferedImage rgb(int w, int h, Pixel px) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, px.rgb(x, y));
            }
        }
        return img;
    }

    static BufferedImage noise(int w, int h, long seed) {
        Random r = new Random(seed);
        return rgb(w, h, (x, y) -> r.nextInt(1 << 24));
    }

    static Path write(Path file, BufferedImage img, String format) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!ImageIO.write(img, format, file.toFile())) {
                throw new IllegalStateException("no writer for " + format);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path png(Path file, int w, int h, long seed) {
        return write(file, noise(w, h, seed), "png");
    }
}
