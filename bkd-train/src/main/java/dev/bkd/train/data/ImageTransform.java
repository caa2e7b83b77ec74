package dev.bkd.train.data;

import dev.bkd.core.config.ConfigException;
import dev.bkd.core.random.Generator;
import java.io.IOException;

/**
 * diffusers train_text_to_image's train_transforms: Resize(resolution, bilinear) -> CenterCrop or RandomCrop
 * -> optional RandomHorizontalFlip -> ToTensor -> Normalize([0.5], [0.5]), giving float CHW in [-1, 1].
 */
public record ImageTransform(int resolution, boolean centerCrop, boolean randomFlip) {
    public ImageTransform {
        if (resolution <= 0) {
            throw new ConfigException("resolution must be a positive number of pixels, got " + resolution);
        }
    }

    /** One transformed item: CHW pixels in [-1, 1] and the caption drawn for this visit. */
    public record Sample(float[] pixels, String caption) {}

    /** Decodes and transforms {@code item}, then draws its caption, all from {@code rng}. */
    public Sample load(CaptionedImage item, Generator rng) throws IOException {
        float[] px = apply(Images.read(item), rng);
        return new Sample(px, item.caption(rng));
    }

    /** Transforms {@code img}; {@code rng} draws the crop offset, then the flip, like the torchvision compose. */
    public float[] apply(Images.Rgb img, Generator rng) {
        Images.Rgb r = resizeShorterSide(img);
        int top;
        int left;
        if (centerCrop) {
            // torchvision: int(round((h - th) / 2.0)), Python rounding half to even
            top = (int) Math.rint((r.height() - resolution) / 2.0);
            left = (int) Math.rint((r.width() - resolution) / 2.0);
        } else {
            top = rng.nextInt(r.height() - resolution + 1);
            left = rng.nextInt(r.width() - resolution + 1);
        }
        boolean flip = randomFlip && rng.nextDouble() < 0.5;
        return toTensor(r, top, left, flip);
    }

    /** The shorter side becomes {@code resolution}; the longer one {@code int(resolution * long / short)}. */
    Images.Rgb resizeShorterSide(Images.Rgb img) {
        int w = img.width();
        int h = img.height();
        int shorter = Math.min(w, h);
        int longer = Math.max(w, h);
        int newLong = (int) ((long) resolution * longer / shorter);
        int ow = w <= h ? resolution : newLong;
        int oh = w <= h ? newLong : resolution;
        return Resize.bilinear(img, ow, oh);
    }

    private float[] toTensor(Images.Rgb r, int top, int left, boolean flip) {
        int n = resolution;
        float[] out = new float[3 * n * n];
        int[] px = r.rgb();
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int sx = left + (flip ? n - 1 - x : x);
                int src = ((top + y) * r.width() + sx) * 3;
                for (int c = 0; c < 3; c++) {
                    float v = px[src + c] / 255f;
                    out[(c * n + y) * n + x] = (v - 0.5f) / 0.5f;
                }
            }
        }
        return out;
    }
}
