package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.ChildJvm;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 6: a PNG write that dies (kill, full disk) used to leave a truncated {@code 00000-SEED.png} that
 * later numbering kept. Now every PNG is written to a hidden temp name and renamed, and the next save removes the
 * temp file and numbers from what is really there.
 */
class ImageWriteKillTest {
    @TempDir
    Path dir;

    static GenerationResult result(long seed) {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 3, 0xff0000);
        return new GenerationResult(List.of(img), null, null,
                List.of(new GenerationParameters("a cat", "", 1, "ddim", 7.5, seed, 8, 8, "m")));
    }

    /** Child: saves one image into {@code args[0]}. */
    public static void main(String[] args) {
        result(42).save(Path.of(args[0]));
    }

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteKilledBeforeItsRenameLeavesNoPngAndIsCleanedByTheNextSave() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ImageWriteKillTest.class, "file.written", dir.toString());
        assertTrue(r.halted(), "the PNG must be written through a temp file: " + r.output());
        assertTrue(names().stream().noneMatch(n -> n.endsWith(".png")), names().toString());
        List<Path> written = result(7).save(dir);
        assertEquals(List.of("00000-7.png"), names(), "leftover removed, numbering not advanced by it");
        assertEquals(0xff0000, ImageIO.read(written.get(0).toFile()).getRGB(3, 3) & 0xffffff);
    }
}
