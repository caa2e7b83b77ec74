package dev.bkd.train.log;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsAndPlotTest {
    @TempDir
    Path dir;

    static StepMetrics row(long step, double loss, double kd) {
        Map<String, Double> l = new LinkedHashMap<>();
        l.put("loss", loss);
        l.put("loss_kd", kd);
        return new StepMetrics(step, l, 1e-4 * step, 0.5, 2.5);
    }

    @Test
    void metricsAreOneFlushedJsonObjectPerLineAndResumeDropsLaterLines() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        try (MetricsWriter w = MetricsWriter.open(f, -1)) {
            for (int s = 1; s <= 4; s++) {
                w.write(row(s, 1.0 / s, Double.NaN));
                assertEquals(s, Files.readAllLines(f).size(), "flushed after every line");
            }
        }
        List<String> lines = Files.readAllLines(f);
        JsonNode first = ConfigReader.MAPPER.readTree(lines.get(0)); // plain JSON, any reader can parse it
        assertEquals(1, first.get("step").asInt());
        assertEquals(1.0, first.get("loss").asDouble());
        assertEquals(1e-4, first.get("lr").asDouble());
        assertEquals(0.5, first.get("grad_norm").asDouble());
        assertEquals(2.5, first.get("img_per_s").asDouble());
        assertEquals("NaN", first.get("loss_kd").asText());

        List<StepMetrics> back = MetricsWriter.read(f);
        assertEquals(4, back.size());
        assertEquals(0.25, back.get(3).losses().get("loss"));
        assertTrue(Double.isNaN(back.get(3).losses().get("loss_kd")));

        try (MetricsWriter w = MetricsWriter.open(f, 2)) { // resumed from checkpoint-2
            w.write(row(3, 0.3, 0.1));
        }
        back = MetricsWriter.read(f);
        assertEquals(List.of(1L, 2L, 3L), back.stream().map(StepMetrics::step).toList());
        assertEquals(0.3, back.get(2).losses().get("loss"));

        Files.writeString(f, "{\"step\": 1, \"loss\": 0.5}\n{\"step\": 2, \"lo", java.nio.file.StandardOpenOption.APPEND);
        LogException e = assertThrows(LogException.class, () -> MetricsWriter.read(f));
        assertTrue(e.getMessage().contains("metrics.jsonl line 5"), e.getMessage());
    }

    /** Issue 13 item 7: a disk-full crash tears the last line; resuming drops it instead of refusing to start. */
    @Test
    void resumingDropsATornLastLineButNotATornMiddleLine() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        Files.writeString(f, "{\"step\": 1, \"loss\": 0.5}\n\n{\"step\": 2, \"loss\": 0.4}\n{\"step\": 3, \"lo");
        try (MetricsWriter w = MetricsWriter.open(f, 2)) {
            w.write(row(3, 0.3, 0.1));
        }
        List<StepMetrics> back = MetricsWriter.read(f);
        assertEquals(List.of(1L, 2L, 3L), back.stream().map(StepMetrics::step).toList());
        assertEquals(0.4, back.get(1).losses().get("loss"), "the line kept for step 2 is step 2's (a blank line before)");
        Files.writeString(f, "{\"step\": 1, \"lo\n{\"step\": 2, \"loss\": 0.4}\n");
        LogException e = assertThrows(LogException.class, () -> MetricsWriter.open(f, 2));
        assertTrue(e.getMessage().contains("metrics.jsonl line 1"), e.getMessage());
    }

    /** The first row (from the top) in column x whose pixel has colour c, or -1. */
    static int rowOf(BufferedImage img, int x, Color c) {
        for (int y = 0; y < img.getHeight(); y++) {
            if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) {
                return y;
            }
        }
        return -1;
    }

    @Test
    void lossPlotIsALogScalePngWithACurvePerTerm() throws IOException {
        List<StepMetrics> rows = new ArrayList<>();
        for (int s = 0; s <= 100; s++) {
            Map<String, Double> l = new LinkedHashMap<>();
            l.put("high", 1.0);
            l.put("low", 0.01);
            l.put("mid", 0.1);
            l.put("falling", s < 50 ? 0.5 : 0.02);
            rows.add(new StepMetrics(s, l, 1e-4, 1, 1));
        }
        Path png = dir.resolve("loss.png");
        LossPlot.write(png, rows, 640, 400);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        int colourful = 0;
        for (int y = 0; y < 400; y += 2) {
            for (int x = 0; x < 640; x += 2) {
                int p = img.getRGB(x, y) & 0xffffff;
                int r = p >> 16;
                int g = (p >> 8) & 0xff;
                int b = p & 0xff;
                colourful += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60 ? 1 : 0;
            }
        }
        assertTrue(colourful > 200, "curves drawn: " + colourful);

        int x = LossPlot.LEFT + (640 - LossPlot.LEFT - LossPlot.RIGHT) / 4; // step 25, left of the legend
        int high = rowOf(img, x, LossPlot.PALETTE[0]);
        int low = rowOf(img, x, LossPlot.PALETTE[1]);
        int mid = rowOf(img, x, LossPlot.PALETTE[2]);
        assertTrue(high > LossPlot.TOP && low < 400 - LossPlot.BOTTOM && high < mid && mid < low,
                high + " " + mid + " " + low);
        assertEquals((high + low) / 2.0, mid, 2.0, "0.1 sits halfway between 1 and 0.01 on a log axis");
        // 'falling' is 0.5 then 0.02: log10 puts them 0.301 and 1.699 of the two decades below 'high'
        int x75 = LossPlot.LEFT + 3 * (640 - LossPlot.LEFT - LossPlot.RIGHT) / 4;
        double decade = (low - high) / 2.0;
        assertEquals(high - Math.log10(0.5) * decade, rowOf(img, x, LossPlot.PALETTE[3]), 2.0);
        assertEquals(high - Math.log10(0.02) * decade, rowOf(img, x75, LossPlot.PALETTE[3]), 2.0);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("loss.png"), files.map(p -> p.getFileName().toString()).toList(), "no temp left");
        }
    }
}
