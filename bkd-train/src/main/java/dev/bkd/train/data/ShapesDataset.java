package dev.bkd.train.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.random.Generator;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A synthetic captioned dataset for demos and tests, made offline: one coloured shape on a coloured background per
 * PNG, captioned "a red circle on a blue background", written as an imagefolder with {@code metadata.jsonl}.
 */
public final class ShapesDataset {
    private static final String[] SHAPES = {"circle", "square", "triangle"};
    private static final String[] COLOURS = {"red", "green", "blue", "yellow", "white", "black"};
    private static final Color[] RGB = {new Color(220, 40, 40), new Color(40, 180, 60), new Color(40, 70, 220),
        new Color(240, 220, 40), new Color(245, 245, 245), new Color(15, 15, 15)};

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ShapesDataset() {}

    /** Writes {@code count} {@code size}x{@code size} images drawn from {@code seed} into {@code dir}; returns it. */
    public static Path write(Path dir, int count, int size, long seed) {
        Generator g = new Generator(seed);
        StringBuilder meta = new StringBuilder();
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < count; i++) {
                int shape = g.nextInt(SHAPES.length);
                int fg = g.nextInt(COLOURS.length);
                int bg = (fg + 1 + g.nextInt(COLOURS.length - 1)) % COLOURS.length;
                int r = size / 5 + g.nextInt(Math.max(1, size / 5));
                int cx = r + g.nextInt(Math.max(1, size - 2 * r));
                int cy = r + g.nextInt(Math.max(1, size - 2 * r));
                String name = String.format(Locale.ROOT, "%04d.png", i);
                ImageIO.write(draw(size, shape, RGB[fg], RGB[bg], cx, cy, r), "png", dir.resolve(name).toFile());
                ObjectNode row = ConfigReader.MAPPER.createObjectNode();
                row.put(DatasetOptions.FILE_NAME, name);
                row.put("text", "a " + COLOURS[fg] + " " + SHAPES[shape] + " on a " + COLOURS[bg] + " background");
                meta.append(row.toString()).append('\n');
            }
            Files.writeString(dir.resolve(CaptionedDataset.METADATA_JSONL), meta.toString());
            return dir;
        } catch (IOException e) {
            throw new BkdException("cannot write the shapes dataset to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static BufferedImage draw(int size, int shape, Color fg, Color bg, int cx, int cy, int r) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(bg);
            g.fillRect(0, 0, size, size);
            g.setColor(fg);
            switch (shape) {
                case 0 -> g.fillOval(cx - r, cy - r, 2 * r, 2 * r);
                case 1 -> g.fillRect(cx - r, cy - r, 2 * r, 2 * r);
                default -> g.fillPolygon(new int[] {cx, cx - r, cx + r}, new int[] {cy - r, cy + r, cy + r}, 3);
            }
        } finally {
            g.dispose();
        }
        return img;
    }
}
