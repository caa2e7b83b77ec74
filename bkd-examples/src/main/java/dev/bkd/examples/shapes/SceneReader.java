package dev.bkd.examples.shapes;

import dev.bkd.core.BkdException;
import dev.bkd.train.data.Images;
import dev.bkd.train.shapes.Colour;
import dev.bkd.train.shapes.Scene;
import dev.bkd.train.shapes.ShapeKind;
import java.util.ArrayDeque;

/**
 * Reads what a (generated) picture shows, without any model: every pixel is labelled with its nearest palette
 * colour; the background is the majority label of the image border; the shape is the largest 4-connected region
 * of other labels, its colour that region's majority label, and its kind comes from the region's geometry:
 * how much of its bounding box it fills (square 1, circle pi/4, triangle 1/2) and how much more of it lies in
 * one half of the box than in the other (a triangle puts 3/4 of its area in its base half).
 */
public final class SceneReader {
    /** A region smaller than this share of the image is noise, not a shape. */
    static final double MIN_AREA = 0.02;
    /** |bottom - top| / area above this is a triangle (exact triangle 0.5, circle and square 0). */
    static final double TRIANGLE_SKEW = 0.25;
    /** Fill of the bounding box above this is a square (exact square 1.0, circle 0.785). */
    static final double SQUARE_FILL = 0.89;

    /** What the picture shows; {@code kind} and {@code colour} are null when no shape was found. */
    public record Reading(Colour background, Colour colour, ShapeKind kind, double fill, double skew) {
        /** Whether this reading matches the scene a prompt asked for, attribute by attribute. */
        public boolean[] matches(Scene want) {
            return new boolean[] {background == want.background(), colour == want.colour(), kind == want.kind()};
        }
    }

    private SceneReader() {}

    public static Reading read(Images.Rgb img) {
        int w = img.width();
        int h = img.height();
        if (w < 4 || h < 4) {
            throw new BkdException("scene reader: image " + w + "x" + h + " is too small (at least 4x4)");
        }
        Colour[] label = new Colour[w * h];
        int[] rgb = img.rgb();
        for (int i = 0; i < w * h; i++) {
            label[i] = Colour.nearest(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        }
        int[] borderVotes = new int[Colour.values().length];
        for (int x = 0; x < w; x++) {
            borderVotes[label[x].ordinal()]++;
            borderVotes[label[(h - 1) * w + x].ordinal()]++;
        }
        for (int y = 1; y < h - 1; y++) {
            borderVotes[label[y * w].ordinal()]++;
            borderVotes[label[y * w + w - 1].ordinal()]++;
        }
        Colour bg = Colour.values()[argmax(borderVotes)];
        int[] region = largestRegion(label, bg, w, h);
        if (region.length < MIN_AREA * w * h) {
            return new Reading(bg, null, null, 0, 0);
        }
        int[] votes = new int[Colour.values().length];
        int x0 = w;
        int x1 = -1;
        int y0 = h;
        int y1 = -1;
        for (int p : region) {
            votes[label[p].ordinal()]++;
            x0 = Math.min(x0, p % w);
            x1 = Math.max(x1, p % w);
            y0 = Math.min(y0, p / w);
            y1 = Math.max(y1, p / w);
        }
        double boxArea = (double) (x1 - x0 + 1) * (y1 - y0 + 1);
        double fill = region.length / boxArea;
        double mid = (y0 + y1) / 2.0;
        double top = 0;
        double bottom = 0;
        for (int p : region) {
            int y = p / w;
            if (y < mid) {
                top++;
            } else if (y > mid) {
                bottom++;
            } else {
                top += 0.5;
                bottom += 0.5;
            }
        }
        double skew = Math.abs(bottom - top) / region.length;
        ShapeKind kind = skew > TRIANGLE_SKEW ? ShapeKind.TRIANGLE
                : fill > SQUARE_FILL ? ShapeKind.SQUARE : ShapeKind.CIRCLE;
        return new Reading(bg, Colour.values()[argmax(votes)], kind, fill, skew);
    }

    /** Pixel indices of the largest 4-connected region whose label is not {@code bg}. */
    private static int[] largestRegion(Colour[] label, Colour bg, int w, int h) {
        int[] comp = new int[w * h];
        int[] best = new int[0];
        int next = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < w * h; start++) {
            if (label[start] == bg || comp[start] != 0) {
                continue;
            }
            next++;
            int[] members = new int[16];
            int n = 0;
            comp[start] = next;
            queue.add(start);
            while (!queue.isEmpty()) {
                int p = queue.poll();
                if (n == members.length) {
                    members = java.util.Arrays.copyOf(members, n * 2);
                }
                members[n++] = p;
                int x = p % w;
                int y = p / w;
                int[][] nbs = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
                for (int[] q : nbs) {
                    if (q[0] >= 0 && q[0] < w && q[1] >= 0 && q[1] < h) {
                        int i = q[1] * w + q[0];
                        if (label[i] != bg && comp[i] == 0) {
                            comp[i] = next;
                            queue.add(i);
                        }
                    }
                }
            }
            if (n > best.length) {
                best = java.util.Arrays.copyOf(members, n);
            }
        }
        return best;
    }

    private static int argmax(int[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[b]) {
                b = i;
            }
        }
        return b;
    }
}
