package dev.bkd.core.weights;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13 item 9: a weight file that is a symbolic-link loop was reported as "no weights found" while listed. */
class WeightFileLinkTest {
    @Test
    void aLinkLoopIsNamedAsSuch(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("diffusion_pytorch_model.safetensors");
        Path other = dir.resolve("other.safetensors");
        Files.createSymbolicLink(f, other);
        Files.createSymbolicLink(other, f);
        String e = assertThrows(WeightFileException.class, () -> WeightFiles.resolve(dir, null)).getMessage();
        assertTrue(e.contains(f + ": is a symbolic link that does not lead to a file"), e);
        assertTrue(!e.contains("no safetensors weights found"), e);
    }

    @Test
    void aDanglingLinkToo(@TempDir Path dir) throws Exception {
        Files.createSymbolicLink(dir.resolve("diffusion_pytorch_model.safetensors"), dir.resolve("gone"));
        String e = assertThrows(WeightFileException.class, () -> WeightFiles.resolve(dir, null)).getMessage();
        assertTrue(e.contains("is a symbolic link that does not lead to a file"), e);
    }
}
