package dev.bkd.train.shapes;

import dev.bkd.core.BkdException;
import dev.bkd.train.data.Images;

/**
 * One picture of the demo world: a {@code colour} {@code kind} of width and height {@code size} centred at
 * ({@code cx}, {@code cy}) on a {@code background} (pixel units, y down). Triangles stand on their base, apex up.
 */
public record Scene(ShapeKind kind, Colour colour, Colour background, double cx, double cy, double size) {
    public Scene {
        if (colour == background) {
            throw new BkdException("scene: the shape and the background are both " + colour.word());
        }
        if (!(size > 0)) {
            throw new BkdException("scene: shape size must be positive, got " + size);
        }
    }

    /** The caption the demo data and prompts use, e.g. "a red circle on a blue background". */
    public String caption() {
        return caption(kind, colour, background);
    }

    public static String caption(ShapeKind kind, Colour colour, Colour background) {
        return "a " + colour.word() + " " + kind.word() + " on a " + background.word() + " background";
    }

    /** Rasterises the scene at {@code px} x {@code px}: a pixel is the shape's when its centre is inside. */
    public Images.Rgb render(int px) {
        int[] rgb = new int[px * px * 3];
        for (int y = 0; y < px; y++) {
            for (int x = 0; x < px; x++) {
                Colour c = inside(x + 0.5, y + 0.5) ? colour : background;
                int o = (y * px + x) * 3;
                rgb[o] = c.r;
                rgb[o + 1] = c.g;
                rgb[o + 2] = c.b;
            }
        }
        return new Images.Rgb(px, px, rgb);
    }

    /** Whether point (x, y) lies in the shape. */
    public boolean inside(double x, double y) {
        double h = size / 2;
        double dx = x - cx;
        double dy = y - cy;
        return switch (kind) {
            case CIRCLE -> dx * dx + dy * dy <= h * h;
            case SQUARE -> Math.abs(dx) <= h && Math.abs(dy) <= h;
            // apex (cx, cy - h), base y = cy + h from cx - h to cx + h: half-width grows linearly downwards
            case TRIANGLE -> dy >= -h && dy <= h && Math.abs(dx) <= (dy + h) / 2;
        };
    }
}
