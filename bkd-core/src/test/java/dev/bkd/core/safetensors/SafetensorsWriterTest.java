package dev.bkd.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** Expected bytes copied from the reference implementation's tests (safetensors/src/tensor.rs). */
    @Test
    void matchesReferenceSerializationVectors() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path a = dir.resolve("a.safetensors");
            SafetensorsWriter.write(a, Map.of("attn.0", m.create(new float[] {0, 1, 2, 3, 4, 5}, new Shape(1, 2, 3))),
                    Map.of());
            assertArrayEquals(bytes(64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                    116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                    58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                    101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                    0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64), Files.readAllBytes(a));

            Path b = dir.resolve("b.safetensors");
            SafetensorsWriter.write(b, Map.of("attn0", m.create(new float[] {0, 1, 2, 3, 4, 5}, new Shape(1, 1, 2, 3))),
                    Map.of());
            assertArrayEquals(bytes(72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                    121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                    91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                    115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                    32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                    160, 64), Files.readAllBytes(b));

            Path e = dir.resolve("e.safetensors");
            SafetensorsWriter.write(e, Map.of(), Map.of());
            assertArrayEquals(bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32), Files.readAllBytes(e));
            SafetensorsWriter.write(e, Map.of(), Map.of("framework", "pt"));
            assertArrayEquals(bytes(40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                    95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                    116, 34, 125, 125, 32, 32, 32, 32, 32), Files.readAllBytes(e));
        }
    }

    /** Descending dtype alignment, then UTF-8 byte order of names (which differs from Java's UTF-16 order). */
    @Test
    void ordersLikeTheReferenceWriter() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("b", m.create(new float[] {1}));
            t.put("a", m.create(new float[] {2}));
            t.put("z", m.create(new long[] {3}));
            t.put("m", m.create(new double[] {4}));
            t.put("c", m.create(ByteBuffer.wrap(new byte[] {5}), new Shape(1), DataType.UINT8));
            t.put("d", m.create(new boolean[] {true}));
            t.put("h", m.create(new float[] {6}).toType(DataType.FLOAT16, false));
            t.put("i", m.create(new int[] {7}));
            t.put("j", m.create(new byte[] {8}));
            t.put("\uD83D\uDE00", m.create(new float[] {9}));
            t.put("\uFF21", m.create(new float[] {10}));
            Path f = dir.resolve("order.safetensors");
            SafetensorsWriter.write(f, t);
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                assertEquals(List.of("z", "m", "a", "b", "\uFF21", "\uD83D\uDE00", "i", "h", "j", "c", "d"),
                        List.copyOf(sf.names()));
                assertEquals(Map.of("format", "pt"), sf.metadata(), "default metadata");
                assertEquals(0, sf.dataStart() % 8, "header padded to 8 bytes");
            }
        }
    }

    @Test
    void roundTripKeepsBytesOfEveryDtype() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("f32", m.randomNormal(new Shape(3, 5, 2)));
            t.put("f16", m.randomNormal(new Shape(7)).toType(DataType.FLOAT16, false));
            t.put("f64", m.randomNormal(new Shape(2, 3)).toType(DataType.FLOAT64, false));
            t.put("i64", m.create(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}));
            t.put("i32", m.create(new int[] {Integer.MIN_VALUE, -7, Integer.MAX_VALUE}, new Shape(3, 1)));
            t.put("i8", m.create(new byte[] {-128, 0, 127}));
            t.put("u8", m.create(ByteBuffer.wrap(new byte[] {0, (byte) 200, (byte) 255}), new Shape(3), DataType.UINT8));
            t.put("bool", m.create(new boolean[] {true, false, true, true}, new Shape(2, 2)));
            t.put("scalar", m.create(3.25f));
            t.put("empty", m.create(new Shape(0, 4), DataType.FLOAT32));
            t.put("strided", m.arange(12f).reshape(3, 4).transpose());
            Path f = dir.resolve("rt.safetensors");
            SafetensorsWriter.write(f, t, Map.of("k", "v"));
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                assertEquals(t.keySet(), sf.names());
                assertEquals(Map.of("k", "v"), sf.metadata());
                for (Map.Entry<String, NDArray> e : t.entrySet()) {
                    NDArray back = sf.load(e.getKey(), m);
                    assertEquals(e.getValue().getDataType(), back.getDataType(), e.getKey());
                    assertEquals(e.getValue().getShape(), back.getShape(), e.getKey());
                    assertArrayEquals(e.getValue().toByteArray(), back.toByteArray(), e.getKey());
                }
                assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11},
                        sf.load("strided", m).toFloatArray(), "non-contiguous arrays are written in logical order");
            }
        }
    }

    /** Read each reference file, write it, read again: same tensors; Rust-written files come out byte-identical. */
    @Test
    void rewritingReferenceFilesIsLossless() throws IOException {
        int identicalFiles = 0;
        List<Path> files = SafetensorsReadTest.referenceFiles();
        for (Path src : files) {
            Path out = dir.resolve(src.getFileName());
            try (NDManager m = NDManager.newBaseManager(); SafetensorsFile in = SafetensorsFile.open(src)) {
                SafetensorsWriter.write(out, in.loadAll(m), in.metadata());
                try (SafetensorsFile back = SafetensorsFile.open(out)) {
                    assertEquals(in.names(), back.names(), src.toString());
                    assertEquals(in.metadata(), back.metadata(), src.toString());
                    for (SafetensorsEntry e : in.entries()) {
                        assertEquals(e, back.entry(e.name()), src + " " + e.name());
                        assertEquals(in.rawBytes(e.name()), back.rawBytes(e.name()), src + " " + e.name());
                    }
                }
            }
            byte[] original = Files.readAllBytes(src);
            if (new String(original, 8, 16, StandardCharsets.UTF_8).startsWith("{\"__metadata__\"")) {
                assertArrayEquals(original, Files.readAllBytes(out), src + " rewritten byte for byte");
                identicalFiles++;
            }
        }
        System.out.println("rewrote " + files.size() + " reference files; " + identicalFiles
                + " written by the reference writer came out byte-identical");
        assertTrue(identicalFiles >= 16);
    }

    @Test
    void replacesAtomicallyAndLeavesNoTempFiles() throws IOException {
        Path f = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(f, Map.of("w", m.create(new float[] {1, 2})));
            byte[] first = Files.readAllBytes(f);
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));

            NDArray broken = m.create(new float[] {3, 4, 5});
            broken.getShape();
            broken.getDataType();
            broken.close(); // its data is gone: the write fails after the temp file was started
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("ok", m.create(new float[] {9}));
            t.put("w", broken);
            assertThrows(RuntimeException.class, () -> SafetensorsWriter.write(f, t));
            assertArrayEquals(first, Files.readAllBytes(f), "the old file is untouched");

            SafetensorsWriter.write(f, Map.of("w", m.create(new float[] {7, 8, 9})));
            try (SafetensorsFile sf = SafetensorsFile.open(f)) {
                assertArrayEquals(new float[] {7, 8, 9}, sf.load("w", m).toFloatArray());
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = new ArrayList<>(s.map(p -> p.getFileName().toString()).toList());
            assertEquals(List.of("model.safetensors"), names, "no temp files left");
        }
    }

    @Test
    void rejectsWhatItCannotWrite() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path f = dir.resolve("x.safetensors");
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> SafetensorsWriter.write(f, Map.of("__metadata__", m.create(1f))));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
            e = assertThrows(SafetensorsException.class,
                    () -> SafetensorsWriter.write(f, Map.of("s", m.create("text"))));
            assertTrue(e.getMessage().contains("tensor 's' has type string"), e.getMessage());
            Path nowhere = dir.resolve("missing/x.safetensors");
            e = assertThrows(SafetensorsException.class,
                    () -> SafetensorsWriter.write(nowhere, Map.of("a", m.create(1f))));
            assertTrue(e.getMessage().startsWith(nowhere.toString()) && e.getMessage().contains("does not exist"),
                    e.getMessage());
            assertTrue(!Files.exists(f));
        }
    }
}
