package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import dev.bkd.core.testing.PngText;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The A1111 "parameters" text and the PNG chunks that carry it. */
class PngParametersTest {
    @TempDir
    Path tmp;

    @Test
    void infotextLooksLikeA1111s() {
        GenerationParameters p = new GenerationParameters("a red circle", "blurry", 25, "euler-a", 7.5, 1234L, 512,
                768, "stable-diffusion-v1-5");
        assertEquals("a red circle\nNegative prompt: blurry\nSteps: 25, Sampler: Euler a, CFG scale: 7.5, Seed: 1234,"
                + " Size: 512x768, Model: stable-diffusion-v1-5", p.toInfotext());
        GenerationParameters q = new GenerationParameters("x", "", 5, "dpm++2m", 7.0, 0L, 64, 64, "org/model:v2, b");
        assertEquals("x\nSteps: 5, Sampler: DPM++ 2M, CFG scale: 7.0, Seed: 0, Size: 64x64,"
                + " Model: \"org/model:v2, b\"", q.toInfotext(), "values with ',' or ':' are JSON-quoted like A1111");
    }

    @Test
    void textGoesInTextChunksAndPixelsSurvive() throws IOException {
        float[] data = new float[2 * 3 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = i / (float) (data.length - 1);
        }
        BufferedImage img = Images.toBufferedImages(new FloatTensor(new Shape(1, 2, 3, 3), data)).get(0);
        Path file = tmp.resolve("a.png");
        PngFiles.write(img, file, Map.of("parameters", "a red circle\nSteps: 1", "Comment", "猫 ü"));
        Map<String, PngText.Entry> text = PngText.read(file);
        assertEquals(new PngText.Entry("tEXt", "a red circle\nSteps: 1"), text.get("parameters"));
        assertEquals(new PngText.Entry("iTXt", "猫 ü"), text.get("Comment"), "non-Latin-1 text goes in iTXt, UTF-8");

        BufferedImage back = ImageIO.read(file.toFile());
        int[] want = new int[6];
        for (int px = 0; px < 6; px++) {
            int[] rgb = new int[3];
            for (int c = 0; c < 3; c++) {
                rgb[c] = (int) Math.rint(data[px * 3 + c] * 255f); // numpy's round half to even
            }
            want[px] = 0xFF000000 | rgb[0] << 16 | rgb[1] << 8 | rgb[2];
        }
        assertArrayEquals(want, back.getRGB(0, 0, 3, 2, null, 0, 3));
        assertThrows(BkdException.class, () -> PngFiles.write(img, tmp.resolve("b.png"), Map.of("", "x")));
    }

    @Test
    void saveNumbersOnWithoutOverwriting() throws IOException {
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("out/00041-5.png"), "not really a png");
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        GenerationParameters p = new GenerationParameters("p", "", 1, "ddim", 7.5, 9L, 8, 8, "m");
        GenerationResult r = new GenerationResult(List.of(img, img), null, null, List.of(p, p));
        assertEquals(List.of(tmp.resolve("out/00042-9.png"), tmp.resolve("out/00043-9.png")), r.save(tmp.resolve("out")));
        assertEquals(p.toInfotext(), PngText.read(tmp.resolve("out/00043-9.png")).get("parameters").text());
    }
}
