package dev.bkd.train.shapes;

import java.util.Locale;

/** The shapes the demo world draws; each fills a different share of its square bounding box. */
public enum ShapeKind {
    CIRCLE,
    SQUARE,
    TRIANGLE;

    /** The caption word. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
