package dev.bkd.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReadTest {
    @TempDir
    Path dir;

    static List<Path> referenceFiles() throws IOException {
        try (Stream<Path> s = Files.walk(RefData.root())) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    /** Our reader vs DJL's NDList.decode (through RefData.load): same names, dtypes, shapes, bits. */
    @Test
    void everyReferenceTensorMatchesDjlDecodeBitForBit() throws IOException {
        List<Path> files = referenceFiles();
        assertTrue(files.size() >= 17, "found " + files.size() + " reference files");
        int tensors = 0;
        long bytes = 0;
        for (Path f : files) {
            try (NDManager m = NDManager.newBaseManager(); SafetensorsFile sf = SafetensorsFile.open(f)) {
                Map<String, NDArray> expected = RefData.load(f, m);
                assertEquals(expected.keySet(), sf.names(), f + ": names");
                for (SafetensorsEntry e : sf.entries()) {
                    try (NDManager sub = m.newSubManager()) {
                        NDArray ours = sf.load(e.name(), sub);
                        NDArray ref = expected.get(e.name());
                        assertEquals(ref.getDataType(), ours.getDataType(), f + " " + e.name());
                        assertEquals(ref.getShape(), ours.getShape(), f + " " + e.name());
                        assertEquals(e.name(), ours.getName());
                        assertArrayEquals(ref.toByteArray(), ours.toByteArray(), f + " " + e.name());
                        tensors++;
                        bytes += e.byteSize();
                    }
                }
            }
        }
        System.out.println("reference tensors identical to NDList.decode: " + tensors + " tensors, " + bytes
                + " bytes, " + files.size() + " files");
    }

    /** Expected values read off the header by Python's json module, not by our parser. */
    @Test
    void entriesInFileOrderAndMetadataKept() {
        try (SafetensorsFile sf = SafetensorsFile.open(RefData.models().resolve("text_encoder/model.safetensors"))) {
            SafetensorsEntry first = sf.entries().get(0);
            assertEquals("text_model.embeddings.position_ids", first.name());
            assertEquals(DType.I64, first.dtype());
            assertEquals(new Shape(1, 77), first.shape());
            assertEquals(0, first.begin());
            assertEquals(616, first.end());
            assertEquals(37, sf.entries().size());
            assertEquals(Map.of("format", "pt"), sf.metadata());
            assertEquals(8 + 4160, sf.dataStart());
            long prev = 0;
            for (SafetensorsEntry e : sf.entries()) {
                assertEquals(prev, e.begin(), "contiguous, ascending");
                prev = e.end();
            }
        }
        try (SafetensorsFile sf = SafetensorsFile.open(RefData.ref("clip_text.safetensors"))) {
            assertEquals("Hello World!!  café", sf.metadata().get("short_prompt"));
            assertEquals("eager", sf.metadata().get("attn_implementation"));
            assertEquals(List.of("short_prompt", "prompts", "attn_implementation"), List.copyOf(sf.metadata().keySet()));
        }
    }

    /** BF16 bit patterns with hand-derived float values (sign, exponent - 127, mantissa / 128). */
    @Test
    void bf16IsWidenedExactly() {
        int[] bits = {0x3F80, 0xC020, 0x4049, 0x3E00, 0xBF40, 0x4780, 0x0000, 0x8000, 0x7F80, 0xFF80, 0x0001, 0x7F7F};
        float[] expected = {1.0f, -2.5f, 3.140625f, 0.125f, -0.75f, 65536.0f, 0.0f, -0.0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, (float) Math.scalb(1.0, -133),
            (float) ((1 + 127 / 128.0) * Math.scalb(1.0, 127))};
        int[] nanBits = {0x7FC0};
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,4],\"data_offsets\":[0,24]},"
                + "\"nan\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[24,26]}}";
        byte[] data = new byte[26];
        System.arraycopy(HandMade.shortsLe(bits), 0, data, 0, 24);
        System.arraycopy(HandMade.shortsLe(nanBits), 0, data, 24, 2);
        Path f = HandMade.write(dir, "bf16.safetensors", HandMade.file(header, data));
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            assertEquals(DType.BF16, sf.entry("w").dtype());
            NDArray w = sf.load("w", m);
            assertEquals(DataType.FLOAT32, w.getDataType());
            assertEquals(new Shape(3, 4), w.getShape());
            float[] got = w.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]),
                        "bf16 0x" + Integer.toHexString(bits[i]) + " -> " + got[i] + ", expected " + expected[i]);
            }
            assertTrue(Float.isNaN(sf.load("nan", m).toFloatArray()[0]));
        }
    }

    @Test
    void i16IsWidenedToInt32AndF16KeptAsIs() {
        String header = "{\"i\":{\"dtype\":\"I16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[10,14]}}";
        byte[] data = new byte[14];
        System.arraycopy(HandMade.shortsLe(-32768, -1, 0, 1, 32767), 0, data, 0, 10);
        System.arraycopy(HandMade.shortsLe(0x3C00, 0xC000), 0, data, 10, 4); // fp16 1.0, -2.0
        Path f = HandMade.write(dir, "i16.safetensors", HandMade.file(header, data));
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            NDArray i = sf.load("i", m);
            assertEquals(DataType.INT32, i.getDataType());
            assertArrayEquals(new int[] {-32768, -1, 0, 1, 32767}, i.toIntArray());
            NDArray h = sf.load("h", m);
            assertEquals(DataType.FLOAT16, h.getDataType());
            assertArrayEquals(new float[] {1.0f, -2.0f}, h.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void scalarAndEmptyTensors() {
        String header = "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                + "\"z\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        Path f = HandMade.write(dir, "small.safetensors", HandMade.file(header, HandMade.floatsLe(2.5f)));
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("s", "e", "z"), List.copyOf(sf.names()));
            NDArray s = sf.load("s", m);
            assertEquals(new Shape(), s.getShape());
            assertEquals(2.5f, s.getFloat());
            assertEquals(new Shape(0, 3), sf.load("e", m).getShape());
            assertEquals(DataType.INT64, sf.load("z", m).getDataType());
        }
    }

    /**
     * A loaded array owns its memory: views outlive the original array and the file, and in-place ops work.
     * (An array aliasing the file mapping would crash the JVM here.)
     */
    @Test
    void loadedArraysOwnTheirMemory() throws IOException {
        Path f = HandMade.write(dir, "own.safetensors", HandMade.file(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", HandMade.floatsLe(1, 2, 3, 4)));
        byte[] before = Files.readAllBytes(f);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray view;
            try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager tmp = m.newSubManager()) {
                NDArray w = sf.load("w", tmp);
                w.addi(10f);
                view = w.reshape(4).transpose();
                view.attach(m);
            }
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            assertArrayEquals(new float[] {11, 12, 13, 14}, view.toFloatArray());
        }
        assertArrayEquals(before, Files.readAllBytes(f), "the file is never written");
    }

    @Test
    void closedFileRefusesLoads() {
        SafetensorsFile sf = SafetensorsFile.open(RefData.ref("sched_common.safetensors"));
        String name = sf.entries().get(0).name();
        sf.close();
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sf.load(name, m));
            assertTrue(e.getMessage().contains("is closed"));
        }
        assertFalse(sf.toString().isEmpty());
    }
}
