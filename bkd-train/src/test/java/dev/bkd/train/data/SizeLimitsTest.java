package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.limits.SizeLimits;
import dev.bkd.train.loop.DataOptions;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 8 for training: {@code --resolution 100000} took 24 GB and was killed by the kernel without a word,
 * a 10000x10000 training image escaped as a raw OutOfMemoryError, and resolutions that are not multiples of 8 were
 * accepted.
 */
class SizeLimitsTest {
    @TempDir
    Path dir;

    @Test
    void resolutionIsAMultipleOf8WithinTheLimitAndTheMachinesMemory() {
        String m = assertThrows(SizeLimits.SizeLimitException.class,
                () -> new DataOptions(dir, null, 36, true, false, null)).getMessage();
        assertTrue(m.contains("--resolution 36 must be a positive multiple of 8"), m);
        m = assertThrows(SizeLimits.SizeLimitException.class,
                () -> new DataOptions(dir, null, 100000, true, false, null)).getMessage();
        assertTrue(m.contains("--resolution 100000 is larger than the limit of 8192"), m);
        // within the side limit, but one attention matrix over a 1024x1024 latent is 4 TB
        m = assertThrows(SizeLimits.SizeLimitException.class,
                () -> new DataOptions(dir, null, 8192, true, false, null)).getMessage();
        assertTrue(m.contains("training at --resolution 8192 needs at least 4.40 TB"), m);
        new DataOptions(dir, null, 512, true, false, null);
    }

    /** A PNG that declares {@code w} x {@code h} pixels: signature and IHDR only (the decoder reads no further). */
    static Path pngHeader(Path file, int w, int h) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream i = new DataOutputStream(ihdr);
        i.write("IHDR".getBytes(StandardCharsets.US_ASCII));
        i.writeInt(w);
        i.writeInt(h);
        i.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB
        d.writeInt(13);
        d.write(ihdr.toByteArray());
        CRC32 crc = new CRC32();
        crc.update(ihdr.toByteArray());
        d.writeInt((int) crc.getValue());
        return Files.write(file, b.toByteArray());
    }

    @Test
    void aHugeTrainingImageIsAClearErrorNotAnOutOfMemoryError() throws IOException {
        Path f = pngHeader(dir.resolve("huge.png"), 10000, 10000);
        IOException e = assertThrows(IOException.class, () -> Images.read(f));
        assertTrue(e.getMessage().contains("10000x10000 = 100,000,000 pixels, more than the 89,478,485-pixel limit"),
                e.getMessage());
        e = assertThrows(IOException.class, () -> Images.probe(f));
        assertTrue(e.getMessage().contains("resize it"), e.getMessage());
    }
}
