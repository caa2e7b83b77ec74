package dev.bkd.train.log;

import dev.bkd.core.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A labelled grid of equally sized pictures (validation samples, teacher vs student), each scaled up by an integer
 * factor with nearest-neighbour so small images stay crisp. Column labels may hold several lines ({@code \n}).
 */
public final class ImageGrid {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private static final int PAD = 4;

    private ImageGrid() {}

    /** Renders {@code cells[row][col]} (null leaves a cell blank) with labels; null label lists draw none. */
    public static BufferedImage render(List<List<BufferedImage>> cells, List<String> rowLabels,
                                       List<String> colLabels, int scale) {
        BufferedImage first = cells.stream().flatMap(List::stream).filter(c -> c != null).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("an image grid needs at least one picture"));
        int cw = first.getWidth() * scale;
        int ch = first.getHeight() * scale;
        int rows = cells.size();
        int cols = cells.stream().mapToInt(List::size).max().orElse(0);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        pg.dispose();
        int left = rowLabels == null ? 0 : rowLabels.stream().mapToInt(fm::stringWidth).max().orElse(0) + 2 * PAD;
        int lines = colLabels == null ? 0 : colLabels.stream().mapToInt(l -> l.split("\n", -1).length).max().orElse(0);
        int top = lines * fm.getHeight() + (lines > 0 ? PAD : 0);
        int width = left + cols * (cw + PAD) + PAD;
        int height = top + rows * (ch + PAD) + PAD;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(font);
            g.setColor(Color.DARK_GRAY);
            for (int c = 0; colLabels != null && c < Math.min(cols, colLabels.size()); c++) {
                String[] ls = colLabels.get(c).split("\n", -1);
                for (int l = 0; l < ls.length; l++) {
                    int x = left + PAD + c * (cw + PAD) + (cw - fm.stringWidth(ls[l])) / 2;
                    g.drawString(ls[l], x, PAD / 2 + fm.getAscent() + l * fm.getHeight());
                }
            }
            for (int r = 0; r < rows; r++) {
                int y = top + PAD + r * (ch + PAD);
                if (rowLabels != null && r < rowLabels.size()) {
                    g.drawString(rowLabels.get(r), PAD, y + (ch + fm.getAscent()) / 2);
                }
                for (int c = 0; c < cells.get(r).size(); c++) {
                    BufferedImage cell = cells.get(r).get(c);
                    if (cell != null) {
                        g.drawImage(cell, left + PAD + c * (cw + PAD), y, cw, ch, null);
                    }
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes the grid as a PNG, atomically. */
    public static void write(Path file, List<List<BufferedImage>> cells, List<String> rowLabels,
                             List<String> colLabels, int scale) {
        BufferedImage img = render(cells, rowLabels, colLabels, scale);
        try {
            AtomicFiles.write(file, out -> {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer");
                }
            });
        } catch (RuntimeException e) {
            throw new LogException(file + ": cannot write the image grid: " + e.getMessage(), e);
        }
    }

    /** Breaks a label into lines of about {@code width} characters at spaces (column labels). */
    public static String wrap(String text, int width) {
        StringBuilder out = new StringBuilder();
        int line = 0;
        for (String w : text.split(" ")) {
            if (line > 0 && line + 1 + w.length() > width) {
                out.append('\n');
                line = 0;
            } else if (line > 0) {
                out.append(' ');
                line++;
            }
            out.append(w);
            line += w.length();
        }
        return out.toString();
    }
}
