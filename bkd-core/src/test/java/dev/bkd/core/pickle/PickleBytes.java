package dev.bkd.core.pickle;

import dev.bkd.core.testing.ZipEntries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipOutputStream;

/** Hand-assembled pickle opcodes and torch-style zips for tests (independent of bkd's own PickleWriter). */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBytes op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes proto() {
        return op(0x80, 2);
    }

    PickleBytes global(String module, String name) {
        op('c');
        ascii(module + "\n" + name + "\n");
        return this;
    }

    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        le32(b.length);
        out.writeBytes(b);
        return this;
    }

    PickleBytes shortStr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op(0x8c, b.length);
        out.writeBytes(b);
        return this;
    }

    PickleBytes ascii(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleBytes binint(int v) {
        op('J');
        return le32(v);
    }

    PickleBytes le32(int v) {
        return op(v & 0xFF, v >>> 8 & 0xFF, v >>> 16 & 0xFF, v >>> 24 & 0xFF);
    }

    /** {@code _rebuild_tensor_v2(("storage", <storageGlobal>, key, "cpu", numel), offset, size, stride, False, OrderedDict())}. */
    PickleBytes tensor(String storageGlobal, String key, int numel, int offset, int[] size, int[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        op('(');
        op('(').str("storage").global("torch", storageGlobal).str(key).str("cpu").binint(numel).op('t');
        op('Q');
        binint(offset);
        op('(');
        for (int s : size) {
            binint(s);
        }
        op('t');
        op('(');
        for (int s : stride) {
            binint(s);
        }
        op('t');
        op(0x89);
        global("collections", "OrderedDict").op(')').op('R');
        op('t').op('R');
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** A torch.save-like zip: {@code root/data.pkl} plus the given records, all stored uncompressed. */
    static Path zip(Path file, String root, byte[] pickle, Map<String, byte[]> records) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            ZipEntries.stored(z, root + "/data.pkl", pickle);
            ZipEntries.stored(z, root + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> e : records.entrySet()) {
                ZipEntries.stored(z, root + "/data/" + e.getKey(), e.getValue());
            }
            ZipEntries.stored(z, root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return file;
    }

}
