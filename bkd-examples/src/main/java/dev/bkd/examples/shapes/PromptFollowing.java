package dev.bkd.examples.shapes;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.train.shapes.Scene;
import java.util.Locale;

/** Prompt-following accuracy: the share of images whose background, shape colour, shape kind (and all three) match. */
public final class PromptFollowing {
    private int total;
    private int background;
    private int colour;
    private int shape;
    private int all;

    /** Scores one image read as {@code got} for a prompt that asked for {@code want}. */
    public void add(Scene want, SceneReader.Reading got) {
        boolean[] m = got.matches(want);
        total++;
        background += m[0] ? 1 : 0;
        colour += m[1] ? 1 : 0;
        shape += m[2] ? 1 : 0;
        all += m[0] && m[1] && m[2] ? 1 : 0;
    }

    public int total() {
        return total;
    }

    public double background() {
        return share(background);
    }

    public double colour() {
        return share(colour);
    }

    public double shape() {
        return share(shape);
    }

    /** Share of images with all three attributes right: the headline accuracy. */
    public double all() {
        return share(all);
    }

    /** Mean of the three attribute accuracies. */
    public double attributes() {
        return (background() + colour() + shape()) / 3;
    }

    private double share(int n) {
        return total == 0 ? 0 : (double) n / total;
    }

    /** e.g. "all 80.0% (background 100.0%, colour 86.7%, shape 83.3%) over 30 images". */
    public String summary() {
        return String.format(Locale.ROOT, "all %.1f%% (background %.1f%%, colour %.1f%%, shape %.1f%%) over %d images",
                100 * all(), 100 * background(), 100 * colour(), 100 * shape(), total);
    }

    public ObjectNode toJson() {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("images", total);
        o.put("all", all());
        o.put("background", background());
        o.put("colour", colour());
        o.put("shape", shape());
        return o;
    }
}
