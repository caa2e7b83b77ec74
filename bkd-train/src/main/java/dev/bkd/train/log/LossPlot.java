package dev.bkd.train.log;

import dev.bkd.core.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Draws every loss term against the step on a log-scale y axis, with axis labels and a legend, and writes the
 * PNG atomically. Headless: needs no display. Non-positive and non-finite values are left out (log scale).
 */
public final class LossPlot {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Curve colours, in the order loss terms first appear. */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    /** Space around the plot area, in pixels. */
    public static final int LEFT = 80;
    public static final int RIGHT = 20;
    public static final int TOP = 40;
    public static final int BOTTOM = 60;

    private LossPlot() {}

    /** Renders {@code rows} into a {@code width x height} PNG at {@code file}, replacing it atomically. */
    public static void write(Path file, List<StepMetrics> rows, int width, int height) {
        BufferedImage img = render(rows, width, height);
        try {
            AtomicFiles.write(file, out -> {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer");
                }
            });
        } catch (RuntimeException e) {
            throw new LogException(file + ": cannot write the loss plot: " + e.getMessage(), e);
        }
    }

    /** The loss terms in first-seen order (legend and colour order). */
    public static List<String> terms(List<StepMetrics> rows) {
        Set<String> t = new LinkedHashSet<>();
        rows.forEach(r -> t.addAll(r.losses().keySet()));
        return new ArrayList<>(t);
    }

    static BufferedImage render(List<StepMetrics> rows, int width, int height) {
        if (width < LEFT + RIGHT + 50 || height < TOP + BOTTOM + 50) {
            throw new IllegalArgumentException("plot of " + width + "x" + height + " is too small");
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            PlotScale s = PlotScale.of(rows, LEFT, TOP, width - LEFT - RIGHT, height - TOP - BOTTOM);
            axes(g, s, width, height);
            List<String> terms = terms(rows);
            for (int i = 0; i < terms.size(); i++) {
                curve(g, s, rows, terms.get(i), PALETTE[i % PALETTE.length]);
            }
            legend(g, terms, width);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void axes(Graphics2D g, PlotScale s, int width, int height) {
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawRect(s.left(), s.top(), s.width(), s.height());
        for (long step : s.stepTicks()) {
            int x = (int) Math.round(s.x(step));
            g.drawLine(x, s.top() + s.height(), x, s.top() + s.height() + 4);
            String label = Long.toString(step);
            g.drawString(label, x - fm.stringWidth(label) / 2, s.top() + s.height() + 6 + fm.getAscent());
        }
        for (double v : s.valueTicks()) {
            int y = (int) Math.round(s.y(v));
            g.setColor(new Color(0xdddddd));
            g.drawLine(s.left() + 1, y, s.left() + s.width() - 1, y);
            g.setColor(Color.BLACK);
            g.drawLine(s.left() - 4, y, s.left(), y);
            String label = new BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
            g.drawString(label, s.left() - 6 - fm.stringWidth(label), y + fm.getAscent() / 2);
        }
        String xLabel = "step";
        g.drawString(xLabel, s.left() + (s.width() - fm.stringWidth(xLabel)) / 2, height - 12);
        String yLabel = "loss (log scale)";
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(s.top() + (s.height() + fm.stringWidth(yLabel)) / 2), 16);
        g.setTransform(saved);
        String title = "training loss";
        g.drawString(title, (width - fm.stringWidth(title)) / 2, 24);
    }

    private static void curve(Graphics2D g, PlotScale s, List<StepMetrics> rows, String term, Color color) {
        g.setColor(color);
        g.setStroke(new BasicStroke(2f));
        Path2D path = new Path2D.Double();
        boolean penDown = false;
        for (StepMetrics r : rows) {
            Double v = r.losses().get(term);
            if (v == null || !(v > 0) || Double.isInfinite(v)) {
                penDown = false; // a gap, not a line through a missing point
                continue;
            }
            double x = s.x(r.step());
            double y = s.y(v);
            if (penDown) {
                path.lineTo(x, y);
            } else {
                path.moveTo(x, y);
                path.lineTo(x, y); // a lone point still shows
                penDown = true;
            }
        }
        g.draw(path);
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, List<String> terms, int width) {
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (String t : terms) {
            w = Math.max(w, fm.stringWidth(t));
        }
        int boxW = w + 36;
        int lineH = fm.getHeight();
        int x = width - RIGHT - boxW - 8;
        int y = TOP + 8;
        g.setColor(Color.WHITE);
        g.fillRect(x, y, boxW, lineH * terms.size() + 8);
        g.setColor(Color.GRAY);
        g.drawRect(x, y, boxW, lineH * terms.size() + 8);
        for (int i = 0; i < terms.size(); i++) {
            int ly = y + 4 + lineH * i + lineH / 2;
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(x + 6, ly - 2, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString(terms.get(i), x + 30, ly + fm.getAscent() / 2 - 1);
        }
    }
}
