package dev.bkd.models.pipeline;

import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** Float images to 8-bit RGB, rounding like diffusers' numpy_to_pil: round(x * 255), ties to even. */
final class Images {
    private Images() {}

    /** {@code image} (B, H, W, 3) in [0, 1] to B images. */
    static List<BufferedImage> toBufferedImages(FloatTensor image) {
        Shape s = image.shape();
        int b = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        float[] d = image.data();
        List<BufferedImage> out = new ArrayList<>(b);
        for (int n = 0; n < b; n++) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int base = n * h * w * 3;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = base + (y * w + x) * 3;
                    img.setRGB(x, y, (byte8(d[i]) << 16) | (byte8(d[i + 1]) << 8) | byte8(d[i + 2]));
                }
            }
            out.add(img);
        }
        return out;
    }

    /** The uint8 numpy gives for float32 {@code v * 255} rounded half to even (v is already in [0, 1]). */
    static int byte8(float v) {
        return (int) Math.rint(v * 255f);
    }
}
