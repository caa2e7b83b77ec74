package dev.bkd.train.shapes;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.BkdException;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesDatasetTest {
    @TempDir
    Path tmp;

    @Test
    void sampleIsBalancedDeterministicAndInsideTheMargins() {
        List<Scene> a = Scenes.sample(130, 32, 7);
        assertEquals(a, Scenes.sample(130, 32, 7));
        assertNotEquals(a, Scenes.sample(130, 32, 8));
        Map<String, Integer> counts = new HashMap<>();
        for (Scene s : a) {
            counts.merge(s.caption(), 1, Integer::sum);
            double h = s.size() / 2;
            assertTrue(s.cx() - h >= Scenes.MARGIN && s.cx() + h <= 32 - Scenes.MARGIN, s.toString());
            assertTrue(s.cy() - h >= Scenes.MARGIN && s.cy() + h <= 32 - Scenes.MARGIN, s.toString());
            assertTrue(s.size() >= 0.45 * 32 && s.size() <= 0.65 * 32, s.toString());
        }
        // 3 shapes x 5 colours x 4 other backgrounds = 60 captions; 130 = 2 full rounds + 10
        assertEquals(60, counts.size());
        assertTrue(counts.values().stream().allMatch(c -> c == 2 || c == 3), counts.toString());
        assertEquals(10, counts.values().stream().filter(c -> c == 3).count());
    }

    @Test
    void promptSetCoversEveryShapeAndColourEvenly() {
        List<Scene> p = Scenes.promptSet(32);
        assertEquals(15, p.size());
        for (ShapeKind k : ShapeKind.values()) {
            assertEquals(5, p.stream().filter(s -> s.kind() == k).count());
        }
        for (Colour c : Colour.values()) {
            assertEquals(3, p.stream().filter(s -> s.colour() == c).count());
            assertEquals(3, p.stream().filter(s -> s.background() == c).count());
        }
        assertEquals("a red circle on a green background", p.get(0).caption());
    }

    @Test
    void writesAnImagefolderThatTheDatasetReads() throws Exception {
        Path out = tmp.resolve("shapes");
        ShapesDataset.Spec spec = new ShapesDataset.Spec(24, 32, 3);
        assertTrue(ShapesDataset.write(out, spec, false));
        CaptionedDataset ds = CaptionedDataset.open(out, DatasetOptions.defaults().withStrict(true));
        assertEquals(24, ds.size());
        List<Scene> scenes = Scenes.sample(24, 32, 3);
        for (int i = 0; i < 24; i++) {
            assertEquals(List.of(scenes.get(i).caption()), ds.get(i).captions());
            Images.Rgb img = Images.read(ds.get(i).file());
            assertEquals(32, img.width()); // that the demo's scorer reads each scene back: SceneReaderTest (bkd-examples)
        }
        assertEquals(spec, ShapesDataset.read(out).orElseThrow());
        assertFalse(ShapesDataset.write(out, spec, false), "same spec: reused");
        BkdException e = assertThrows(BkdException.class,
                () -> ShapesDataset.write(out, new ShapesDataset.Spec(12, 32, 3), false));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertTrue(ShapesDataset.write(out, new ShapesDataset.Spec(12, 32, 3), true));
        assertEquals(12, CaptionedDataset.open(out, DatasetOptions.defaults()).size());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no temp folders left");
        }
    }

    @Test
    void renderedPixelsAreExactPaletteColours() {
        Scene s = new Scene(ShapeKind.SQUARE, Colour.GREEN, Colour.YELLOW, 16, 16, 10);
        Images.Rgb img = s.render(32);
        int[] v = img.rgb();
        int inside = (16 * 32 + 16) * 3;
        assertArrayEquals(new int[] {40, 170, 60}, new int[] {v[inside], v[inside + 1], v[inside + 2]});
        assertArrayEquals(new int[] {240, 210, 40}, new int[] {v[0], v[1], v[2]});
        // pixel centres 11.5 .. 20.5 lie within |d| <= 5 of 16: exactly 10 x 10 pixels are the square's
        int count = 0;
        for (int i = 0; i < 32 * 32; i++) {
            count += v[3 * i] == 40 && v[3 * i + 1] == 170 ? 1 : 0;
        }
        assertEquals(100, count);
    }

    @Test
    void badSpecsAreRefused() {
        assertThrows(BkdException.class, () -> new ShapesDataset.Spec(0, 32, 1));
        assertThrows(BkdException.class, () -> new ShapesDataset.Spec(10, 8, 1));
        assertThrows(BkdException.class, () -> new Scene(ShapeKind.CIRCLE, Colour.RED, Colour.RED, 1, 1, 1));
    }
}
