package dev.bkd.train.data;

import dev.bkd.core.limits.SizeLimits;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Decoding image files to 8-bit RGB the way PIL's {@code Image.open(p).convert("RGB")} sees them. */
public final class Images {
    private Images() {}

    /** Decoded pixels: {@code rgb[(y * width + x) * 3 + c]} in 0..255. */
    public record Rgb(int width, int height, int[] rgb) {}

    /** Reads just the header: throws when no decoder recognises the file or its size is zero. */
    public static void probe(Path file) throws IOException {
        probeInput(file.toFile());
    }

    /** {@link #probe(Path)} of an encoded image in memory (a webdataset member). */
    public static void probe(byte[] encoded) throws IOException {
        probeInput(new ByteArrayInputStream(encoded));
    }

    private static void probeInput(Object input) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(input)) {
            if (in == null) {
                throw new IOException("cannot open");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("not an image format Java can decode");
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                if (r.getWidth(0) <= 0 || r.getHeight(0) <= 0) {
                    throw new IOException("image has no pixels");
                }
                try {
                    SizeLimits.checkDecodedPixels("the image", r.getWidth(0), r.getHeight(0));
                } catch (SizeLimits.SizeLimitException e) {
                    throw new IOException(e.getMessage());
                }
            } finally {
                r.dispose();
            }
        } catch (RuntimeException e) {
            throw new IOException("decoder failed: " + e, e); // some decoders throw unchecked on garbage
        }
    }

    /** Decodes an item's image: its file, or its member of a tar shard read in place. */
    public static Rgb read(CaptionedImage item) throws IOException {
        return item.member() != null ? decode(item.member().read()) : read(item.file());
    }

    /** Decodes {@code file}; alpha is dropped (not composited) and grey is replicated, as PIL's convert does. */
    public static Rgb read(Path file) throws IOException {
        probe(file); // the size from the header first: a huge image is an error, not an OutOfMemoryError
        return decodeInput(file.toFile());
    }

    /** {@link #read(Path)} of an encoded image in memory. */
    public static Rgb decode(byte[] encoded) throws IOException {
        probe(encoded);
        return decodeInput(new ByteArrayInputStream(encoded));
    }

    private static Rgb decodeInput(Object input) throws IOException {
        BufferedImage img;
        try {
            img = input instanceof java.io.File f ? ImageIO.read(f) : ImageIO.read((java.io.InputStream) input);
        } catch (RuntimeException e) {
            throw new IOException("decoder failed: " + e, e);
        }
        if (img == null) {
            throw new IOException("not an image format Java can decode");
        }
        return toRgb(img);
    }

    /** The 8-bit RGB values of a decoded image. */
    public static Rgb toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] out = new int[w * h * 3];
        Raster raster = img.getRaster();
        boolean grey8 = raster.getNumBands() == 1 && img.getColorModel().getPixelSize() == 8
                && img.getType() == BufferedImage.TYPE_BYTE_GRAY;
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            if (grey8) {
                // getRGB would apply a linear->sRGB curve to grey; PIL copies the byte
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    out[o] = out[o + 1] = out[o + 2] = row[x];
                }
            } else {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    out[o] = (row[x] >> 16) & 0xff;
                    out[o + 1] = (row[x] >> 8) & 0xff;
                    out[o + 2] = row[x] & 0xff;
                }
            }
        }
        return new Rgb(w, h, out);
    }
}
