package dev.bkd.train.inpaint;

import dev.bkd.core.random.Generator;

/**
 * Random inpainting masks as diffusers' inpainting training example draws them
 * ({@code random_mask(image.size, ratio=1, mask_full_image=False)} in
 * examples/research_projects/dreambooth_inpaint): a size uniform in [0, W] x [0, H], a centre uniform where the
 * half-size still fits, then with even odds a filled rectangle or a filled ellipse over the box
 * [cx - w/2, cx + w/2] x [cy - h/2, cy + h/2] (integer halves, corners included, as PIL draws them).
 *
 * <p>The draws come from bkd's seeded {@link Generator} (the training run's, so a run's masks are fixed by its
 * seed and replayed on resume), not Python's {@code random}: the distribution is diffusers', the exact masks are
 * not. The ellipse is filled where pixel centres fall inside it; PIL's outline rasteriser can differ by a pixel
 * at the edge.
 */
public final class RandomMasks {
    private RandomMasks() {}

    /** One (height x width) mask, row-major: 1 = repaint, 0 = keep. */
    public static float[] draw(int width, int height, Generator rng) {
        int sw = closed(rng, 0, width);
        int sh = closed(rng, 0, height);
        int cx = closed(rng, sw / 2, width - sw / 2);
        int cy = closed(rng, sh / 2, height - sh / 2);
        boolean rectangle = closed(rng, 0, 1) == 0;
        int x0 = cx - sw / 2;
        int x1 = cx + sw / 2;
        int y0 = cy - sh / 2;
        int y1 = cy + sh / 2;
        float[] mask = new float[width * height];
        double ax = (x1 - x0 + 1) / 2.0;
        double ay = (y1 - y0 + 1) / 2.0;
        double mx = (x0 + x1 + 1) / 2.0;
        double my = (y0 + y1 + 1) / 2.0;
        for (int y = Math.max(y0, 0); y <= Math.min(y1, height - 1); y++) {
            for (int x = Math.max(x0, 0); x <= Math.min(x1, width - 1); x++) {
                double dx = (x + 0.5 - mx) / ax;
                double dy = (y + 0.5 - my) / ay;
                if (rectangle || dx * dx + dy * dy <= 1.0) {
                    mask[y * width + x] = 1f;
                }
            }
        }
        return mask;
    }

    /** Python's random.randint(lo, hi): both ends included. */
    private static int closed(Generator rng, int lo, int hi) {
        return rng.nextInt(lo, hi + 1);
    }
}
