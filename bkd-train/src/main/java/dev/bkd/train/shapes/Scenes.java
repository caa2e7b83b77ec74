package dev.bkd.train.shapes;

import dev.bkd.core.BkdException;
import dev.bkd.core.random.Generator;
import java.util.ArrayList;
import java.util.List;

/** Deterministic scene draws: every (shape, colour, background) combination equally often, placement random. */
public final class Scenes {
    /** Shape width as a share of the image side. */
    public static final double MIN_SIZE = 0.45;
    public static final double MAX_SIZE = 0.65;
    /** Free pixels kept between the shape and the image edge (the background reader looks at the edge). */
    public static final int MARGIN = 2;

    private Scenes() {}

    /** Every (kind, colour, background) triple with colour != background, in enum order. */
    public static List<Scene> combinations(int px) {
        List<Scene> out = new ArrayList<>();
        for (ShapeKind k : ShapeKind.values()) {
            for (Colour c : Colour.values()) {
                for (Colour bg : Colour.values()) {
                    if (c != bg) {
                        out.add(new Scene(k, c, bg, px / 2.0, px / 2.0, px * (MIN_SIZE + MAX_SIZE) / 2));
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code count} scenes for {@code px}-pixel images from {@code seed}: the combinations in shuffled rounds
     * (so each appears count / combinations times, give or take one), each with a random size and position.
     */
    public static List<Scene> sample(int count, int px, long seed) {
        if (count < 1) {
            throw new BkdException("scene count must be at least 1, got " + count);
        }
        if (px < 16) {
            throw new BkdException("image size must be at least 16 pixels, got " + px);
        }
        Generator g = new Generator(seed);
        List<Scene> combos = combinations(px);
        List<Scene> out = new ArrayList<>(count);
        while (out.size() < count) {
            List<Scene> round = new ArrayList<>(combos);
            for (int i = round.size() - 1; i > 0; i--) {
                int j = g.nextInt(i + 1);
                round.set(j, round.set(i, round.get(j)));
            }
            for (Scene s : round) {
                if (out.size() == count) {
                    break;
                }
                out.add(place(s, px, g));
            }
        }
        return out;
    }

    private static Scene place(Scene s, int px, Generator g) {
        double size = px * (MIN_SIZE + (MAX_SIZE - MIN_SIZE) * g.nextDouble());
        double lo = size / 2 + MARGIN;
        double span = px - 2 * lo;
        double cx = lo + span * g.nextDouble();
        double cy = lo + span * g.nextDouble();
        return new Scene(s.kind(), s.colour(), s.background(), cx, cy, size);
    }

    /**
     * The fixed evaluation prompts: 15 triples in which every shape appears 5 times and every colour 3 times as
     * the shape's and 3 times as the background's.
     */
    public static List<Scene> promptSet(int px) {
        Colour[] cs = Colour.values();
        List<Scene> out = new ArrayList<>();
        for (ShapeKind k : ShapeKind.values()) {
            for (int c = 0; c < cs.length; c++) {
                Colour bg = cs[(c + 1 + k.ordinal()) % cs.length];
                out.add(new Scene(k, cs[c], bg, px / 2.0, px / 2.0, px * (MIN_SIZE + MAX_SIZE) / 2));
            }
        }
        return out;
    }
}
