package dev.bkd.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipOutputStream;

/**
 * Writes a state dict the way {@code torch.save(state_dict, f)} lays it out (zip of {@code <stem>/data.pkl},
 * protocol-2 pickle of an OrderedDict of {@code _rebuild_tensor_v2} calls, one {@code data/<n>} record per
 * tensor), for tests that need {@code pytorch_model.bin}-style files. Hand-assembled opcodes, independent of
 * the reader under test and of bkd's TorchScript pickle writer.
 */
public final class TorchSaveFiles {
    private static final Map<DataType, String> STORAGE = Map.of(DataType.FLOAT32, "FloatStorage",
            DataType.FLOAT16, "HalfStorage", DataType.INT64, "LongStorage", DataType.INT32, "IntStorage");

    private TorchSaveFiles() {}

    public static void write(Path file, Map<String, NDArray> tensors) throws IOException {
        String root = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R');
        p.write('(');
        int n = 0;
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                NDArray a = e.getValue();
                String storage = STORAGE.get(a.getDataType());
                if (storage == null) {
                    throw new IllegalArgumentException("no torch storage for " + a.getDataType());
                }
                long[] shape = a.getShape().getShape();
                str(p, e.getKey());
                global(p, "torch._utils", "_rebuild_tensor_v2");
                p.write('(');
                p.write('(');
                str(p, "storage");
                global(p, "torch", storage);
                str(p, Integer.toString(n));
                str(p, "cpu");
                binint(p, (int) a.size());
                p.write('t');
                p.write('Q');
                binint(p, 0);
                p.write('(');
                for (long d : shape) {
                    binint(p, (int) d);
                }
                p.write('t');
                p.write('(');
                long stride = 1;
                long[] strides = new long[shape.length];
                for (int i = shape.length - 1; i >= 0; i--) {
                    strides[i] = stride;
                    stride *= shape[i];
                }
                for (long s : strides) {
                    binint(p, (int) s);
                }
                p.write('t');
                p.write(0x89);
                global(p, "collections", "OrderedDict");
                p.write(')');
                p.write('R');
                p.write('t');
                p.write('R');
                ZipEntries.stored(z, root + "/data/" + n, a.toByteArray());
                n++;
            }
            p.write('u');
            p.write('.');
            ZipEntries.stored(z, root + "/data.pkl", p.toByteArray());
            ZipEntries.stored(z, root + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            ZipEntries.stored(z, root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void str(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        le32(p, b.length);
        p.writeBytes(b);
    }

    private static void binint(ByteArrayOutputStream p, int v) {
        p.write('J');
        le32(p, v);
    }

    private static void le32(ByteArrayOutputStream p, int v) {
        p.write(v & 0xFF);
        p.write(v >>> 8 & 0xFF);
        p.write(v >>> 16 & 0xFF);
        p.write(v >>> 24 & 0xFF);
    }

}
