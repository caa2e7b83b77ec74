package dev.bkd.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sparse files past 2 GiB: nothing is really written but the zeros' holes, so these are fast and small on disk. */
class SafetensorsLargeFileTest {
    private static final long BIG_ELEMENTS = (1L << 29) + 2; // F32: 2 GiB + 8 bytes, more than one mapping
    private static final int TAIL = 1024;

    @TempDir
    Path dir;

    /** Header (padded to 8 like real files), a sparse zero tensor, then a known pattern written at the end. */
    private static Path sparse(Path f, String header, long dataBytes, long patternAt, byte[] pattern) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + padded + dataBytes);
            raf.seek(0);
            raf.write(HandMade.file(header + " ".repeat(padded - h.length), new byte[0]));
            raf.seek(8 + padded + patternAt);
            raf.write(pattern);
        }
        return f;
    }

    @Test
    void readsATensorBeyondTwoGiB() throws IOException {
        long bigBytes = BIG_ELEMENTS * 4;
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + BIG_ELEMENTS + "],\"data_offsets\":[0," + bigBytes
                + "]},\"tail\":{\"dtype\":\"F32\",\"shape\":[4," + TAIL / 4 + "],\"data_offsets\":[" + bigBytes + ","
                + (bigBytes + 4L * TAIL) + "]}}";
        float[] pattern = new float[TAIL];
        for (int i = 0; i < TAIL; i++) {
            pattern[i] = i * 0.5f - 3f;
        }
        Path f = sparse(dir.resolve("big.safetensors"), header, bigBytes + 4L * TAIL, bigBytes,
                HandMade.floatsLe(pattern));
        try {
            System.out.println("sparse file: " + Files.size(f) + " bytes");
            assertTrue(Files.size(f) > (1L << 31));
            try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
                NDArray tail = sf.load("tail", m);
                float[] got = tail.toFloatArray();
                for (int i = 0; i < TAIL; i++) {
                    assertEquals(pattern[i], got[i], "tail[" + i + "]");
                }
                SafetensorsException e = assertThrows(SafetensorsException.class, () -> sf.load("big", m));
                System.out.println("rejected: " + e.getMessage());
                assertTrue(e.getMessage().startsWith(f.toString()));
                assertTrue(e.getMessage().contains("tensor 'big'") && e.getMessage().contains("more than one DJL NDArray"));
                assertThrows(SafetensorsException.class, () -> sf.rawBytes("big"));
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** Just over 1 GiB of BF16 fits one mapping, but widened to F32 it is just over 2 GiB: too big for one NDArray. */
    @Test
    void rejectsBf16ThatWidensPastOneArray() throws IOException {
        long elements = (1L << 29) + 1;
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[" + elements + "],\"data_offsets\":[0," + 2 * elements + "]}}";
        Path f = sparse(dir.resolve("bf16.safetensors"), header, 2 * elements, 0, new byte[0]);
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> sf.load("w", m));
            System.out.println("rejected: " + e.getMessage());
            assertTrue(e.getMessage().contains("needs 2147483652 bytes as float32"), e.getMessage());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
