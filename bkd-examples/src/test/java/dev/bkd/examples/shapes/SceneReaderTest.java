package dev.bkd.examples.shapes;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.BkdException;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.Images;
import dev.bkd.train.shapes.Colour;
import dev.bkd.train.shapes.Scene;
import dev.bkd.train.shapes.Scenes;
import dev.bkd.train.shapes.ShapeKind;
import dev.bkd.train.shapes.ShapesDataset;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader on pictures this test paints itself with AWT (anti-aliased, noisy), whose content is known. */
class SceneReaderTest {
    private static final int PX = 32;

    @TempDir
    Path tmp;

    /** Every image of a written demo dataset reads back as the scene its caption names. */
    @Test
    void readsBackEveryImageOfTheDemoDataset() throws Exception {
        Path out = tmp.resolve("shapes");
        assertTrue(ShapesDataset.write(out, new ShapesDataset.Spec(24, 32, 3), false));
        CaptionedDataset ds = CaptionedDataset.open(out, DatasetOptions.defaults().withStrict(true));
        List<Scene> scenes = Scenes.sample(24, 32, 3);
        for (int i = 0; i < 24; i++) {
            Images.Rgb img = Images.read(ds.get(i).file());
            assertArrayEquals(new boolean[] {true, true, true}, SceneReader.read(img).matches(scenes.get(i)),
                    scenes.get(i).toString());
        }
    }

    /** Paints a shape with AWT, independently of Scene.render; {@code noise} is the pixel noise std (0..255). */
    private static Images.Rgb paint(ShapeKind kind, Color fg, Color bg, int x, int y, int size, boolean pointDown,
            double noise, long seed) {
        BufferedImage img = new BufferedImage(PX, PX, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(bg);
        g.fillRect(0, 0, PX, PX);
        g.setColor(fg);
        switch (kind) {
            case CIRCLE -> g.fillOval(x, y, size, size);
            case SQUARE -> g.fillRect(x, y, size, size);
            case TRIANGLE -> g.fillPolygon(pointDown
                    ? new Polygon(new int[] {x, x + size, x + size / 2}, new int[] {y, y, y + size}, 3)
                    : new Polygon(new int[] {x, x + size, x + size / 2}, new int[] {y + size, y + size, y}, 3));
        }
        g.dispose();
        Images.Rgb rgb = Images.toRgb(img);
        Random r = new Random(seed);
        int[] v = rgb.rgb();
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) Math.max(0, Math.min(255, Math.round(v[i] + noise * r.nextGaussian())));
        }
        return rgb;
    }

    private static Color awt(Colour c) {
        return new Color(c.r, c.g, c.b);
    }

    @Test
    void readsEveryCombinationPaintedWithNoise() {
        int n = 0;
        for (ShapeKind k : ShapeKind.values()) {
            for (Colour c : Colour.values()) {
                for (Colour bg : Colour.values()) {
                    if (c == bg) {
                        continue;
                    }
                    int size = 13 + (n % 7);
                    int x = 3 + (n * 5) % (PX - size - 6);
                    int y = 3 + (n * 3) % (PX - size - 6);
                    SceneReader.Reading r = SceneReader.read(paint(k, awt(c), awt(bg), x, y, size, false, 12, n));
                    String what = k + " " + c + " on " + bg + " at " + x + "," + y + " size " + size + ": " + r;
                    assertEquals(bg, r.background(), what);
                    assertEquals(c, r.colour(), what);
                    assertEquals(k, r.kind(), what);
                    n++;
                }
            }
        }
        assertEquals(60, n);
    }

    @Test
    void geometryOfExactShapesIsTheClosedForm() {
        // a 20-px square fills its box; a 20-px disc fills about pi/4; a triangle half, with 3/4 in its base half
        SceneReader.Reading sq = SceneReader.read(paint(ShapeKind.SQUARE, Color.RED, Color.BLUE, 6, 6, 20, false, 0, 0));
        assertEquals(1.0, sq.fill(), 1e-9);
        assertEquals(0.0, sq.skew(), 1e-9);
        SceneReader.Reading ci = SceneReader.read(paint(ShapeKind.CIRCLE, Color.RED, Color.BLUE, 6, 6, 20, false, 0, 0));
        assertEquals(Math.PI / 4, ci.fill(), 0.05);
        assertEquals(0.0, ci.skew(), 0.05);
        SceneReader.Reading tr = SceneReader.read(paint(ShapeKind.TRIANGLE, Color.RED, Color.BLUE, 6, 6, 20, false, 0, 0));
        assertEquals(0.5, tr.fill(), 0.07);
        assertEquals(0.5, tr.skew(), 0.07);
    }

    @Test
    void aTriangleUpsideDownIsStillATriangle() {
        Color yellow = awt(Colour.YELLOW);
        Color green = awt(Colour.GREEN);
        assertEquals(ShapeKind.TRIANGLE, SceneReader.read(paint(ShapeKind.TRIANGLE, yellow, green, 8, 8, 16, true, 8, 3))
                .kind());
    }

    @Test
    void aPlainPictureHasNoShape() {
        Images.Rgb img = paint(ShapeKind.SQUARE, awt(Colour.WHITE), awt(Colour.WHITE), 8, 8, 10, false, 10, 1);
        SceneReader.Reading r = SceneReader.read(img);
        assertEquals(Colour.WHITE, r.background());
        assertNull(r.kind());
        assertNull(r.colour());
        Scene want = new Scene(ShapeKind.SQUARE, Colour.RED, Colour.WHITE, 16, 16, 10);
        assertArrayEquals(new boolean[] {true, false, false}, r.matches(want));
    }

    @Test
    void theLargestRegionWinsOverSpecks() {
        Images.Rgb img = paint(ShapeKind.CIRCLE, awt(Colour.BLUE), awt(Colour.YELLOW), 10, 10, 16, false, 0, 0);
        int[] v = img.rgb();
        int o = (2 * PX + 28) * 3; // a red speck near a corner
        v[o] = Colour.RED.r;
        v[o + 1] = Colour.RED.g;
        v[o + 2] = Colour.RED.b;
        SceneReader.Reading r = SceneReader.read(img);
        assertEquals(Colour.BLUE, r.colour());
        assertEquals(ShapeKind.CIRCLE, r.kind());
    }

    @Test
    void scoresShareOfMatches() {
        PromptFollowing f = new PromptFollowing();
        Scene want = new Scene(ShapeKind.CIRCLE, Colour.RED, Colour.BLUE, 16, 16, 16);
        f.add(want, new SceneReader.Reading(Colour.BLUE, Colour.RED, ShapeKind.CIRCLE, 0.8, 0));
        f.add(want, new SceneReader.Reading(Colour.BLUE, Colour.GREEN, ShapeKind.CIRCLE, 0.8, 0));
        f.add(want, new SceneReader.Reading(Colour.BLUE, null, null, 0, 0));
        f.add(want, new SceneReader.Reading(Colour.RED, Colour.BLUE, ShapeKind.SQUARE, 1, 0));
        assertEquals(4, f.total());
        assertEquals(0.75, f.background(), 1e-12);
        assertEquals(0.25, f.colour(), 1e-12);
        assertEquals(0.5, f.shape(), 1e-12);
        assertEquals(0.25, f.all(), 1e-12);
        assertEquals(0.5, f.attributes(), 1e-12);
        assertEquals("all 25.0% (background 75.0%, colour 25.0%, shape 50.0%) over 4 images", f.summary());
    }

    @Test
    void tinyImagesAreRefused() {
        BkdException e = assertThrows(BkdException.class, () -> SceneReader.read(new Images.Rgb(3, 3, new int[27])));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }
}
