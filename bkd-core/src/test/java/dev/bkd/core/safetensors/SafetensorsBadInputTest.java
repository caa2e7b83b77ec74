package dev.bkd.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed file is a SafetensorsException naming the file and the problem; never a crash or OOM. */
class SafetensorsBadInputTest {
    private static final String OK_ENTRY = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @TempDir
    Path dir;

    private void rejects(byte[] bytes, String expectedPhrase) {
        Path f = HandMade.write(dir, "bad.safetensors", bytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f).close());
        System.out.println("rejected: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expectedPhrase), "expected '" + expectedPhrase + "' in: " + e.getMessage());
    }

    private void rejects(String header, int dataBytes, String expectedPhrase) {
        rejects(HandMade.file(header, new byte[dataBytes]), expectedPhrase);
    }

    @Test
    void sanityTheBaselineFileIsAccepted() {
        Path f = HandMade.write(dir, "ok.safetensors", HandMade.file("{\"a\":" + OK_ENTRY + "}", new byte[8]));
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertEquals(1, sf.entries().size());
        }
    }

    @Test
    void truncatedBelowEightBytes() {
        rejects(new byte[0], "shorter than the 8-byte header length");
        rejects(new byte[] {8, 0, 0, 0, 0}, "shorter than the 8-byte header length");
    }

    @Test
    void truncatedData() {
        byte[] good = HandMade.file("{\"a\":" + OK_ENTRY + "}", new byte[8]);
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
        rejects(cut, "run past the end of the data buffer");
    }

    @Test
    void headerLengthLargerThanFile() {
        byte[] b = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(5000).put("{}  ".getBytes()).array();
        rejects(b, "exceeds the file size");
    }

    @Test
    void absurdHeaderLength() {
        byte[] b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L).array();
        rejects(b, "is absurd");
        byte[] neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
        rejects(neg, "18446744073709551615 bytes is absurd");
    }

    @Test
    void headerNotUtf8() {
        rejects(HandMade.file(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}, new byte[0]),
                "not valid UTF-8");
    }

    @Test
    void headerNotJson() {
        rejects("{\"a\": {", 0, "not valid JSON");
        rejects("{} trailing", 0, "not valid JSON");
    }

    @Test
    void headerNotAnObject() {
        rejects("[1, 2]  ", 0, "not a JSON object but array");
        rejects("\"text\"", 0, "not a JSON object but string");
        rejects("        ", 0, "not a JSON object but empty");
    }

    @Test
    void entryNotAnObject() {
        rejects("{\"a\": 5}", 0, "tensor 'a': entry must be an object");
    }

    @Test
    void entryMissingFields() {
        rejects("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a': missing field dtype");
        rejects("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 'a': missing field shape");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "tensor 'a': missing field data_offsets");
        rejects("{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype must be a string");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8,
                "data_offsets must be an array of 2 non-negative integers");
    }

    @Test
    void unknownDtype() {
        rejects("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown or unsupported dtype 'Q7'");
        rejects("{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1, "unknown or unsupported dtype 'F4'");
    }

    @Test
    void negativeOrNonIntegerDims() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                "shape must hold non-negative integers");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
                "shape must hold non-negative integers");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
                "fit in 64 bits");
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,8]}}", 8,
                "more elements than fit in 64 bits");
    }

    @Test
    void byteSizeDisagreesWithOffsets() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8");
    }

    @Test
    void offsetsOutOfRange() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "run past the end");
    }

    @Test
    void overlappingOffsets() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap tensor 'a'");
    }

    @Test
    void endBeforeBegin() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8, "end before they begin");
    }

    @Test
    void gapAndTrailingBytes() {
        rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "leave a gap of 4");
        rejects("{\"a\":" + OK_ENTRY + "}", 10, "2 trailing bytes");
    }

    @Test
    void duplicateNames() {
        rejects("{\"a\":" + OK_ENTRY + ",\"a\":" + OK_ENTRY + "}", 8, "names a tensor twice");
    }

    @Test
    void badMetadata() {
        rejects("{\"__metadata__\":[1],\"a\":" + OK_ENTRY + "}", 8, "__metadata__ must be an object of strings");
        rejects("{\"__metadata__\":{\"k\":3},\"a\":" + OK_ENTRY + "}", 8, "__metadata__.k must be a string");
    }

    @Test
    void missingFileAndFolder() {
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsFile.open(dir.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("nope.safetensors: file not found"), e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(dir));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void unknownTensorNameAndUnloadableDtype() {
        String header = "{\"u\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        Path f = HandMade.write(dir, "u16.safetensors", HandMade.file(header, new byte[4]));
        try (SafetensorsFile sf = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> sf.load("missing", m));
            assertTrue(e.getMessage().contains("no tensor named 'missing'"), e.getMessage());
            e = assertThrows(SafetensorsException.class, () -> sf.load("u", m));
            assertTrue(e.getMessage().contains("tensor 'u' has dtype U16, which bkd cannot load"), e.getMessage());
            assertEquals(4, sf.rawBytes("u").remaining(), "raw bytes stay reachable");
        }
    }
}
