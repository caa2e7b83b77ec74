package dev.bkd.train.shapes;

import java.util.Locale;

/** The demo palette: far apart in RGB so a generated pixel's nearest palette colour is unambiguous. */
public enum Colour {
    RED(220, 40, 40),
    GREEN(40, 170, 60),
    BLUE(40, 80, 220),
    YELLOW(240, 210, 40),
    WHITE(240, 240, 240);

    public final int r;
    public final int g;
    public final int b;

    Colour(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The caption word. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Squared RGB distance to a pixel. */
    public int distance2(int pr, int pg, int pb) {
        int dr = pr - r;
        int dg = pg - g;
        int db = pb - b;
        return dr * dr + dg * dg + db * db;
    }

    /** The palette colour nearest to a pixel (ties go to the earlier colour). */
    public static Colour nearest(int pr, int pg, int pb) {
        Colour best = null;
        int bestD = Integer.MAX_VALUE;
        for (Colour c : values()) {
            int d = c.distance2(pr, pg, pb);
            if (d < bestD) {
                best = c;
                bestD = d;
            }
        }
        return best;
    }
}
