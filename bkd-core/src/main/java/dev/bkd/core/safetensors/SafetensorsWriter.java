package dev.bkd.core.safetensors;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files laid out like the reference (Rust/Python) writer: tensors sorted by dtype,
 * widest alignment first, then by name (UTF-8 byte order); compact JSON header with {@code __metadata__}
 * first; header padded with spaces to a multiple of 8 bytes. The file is written to a temporary file in the
 * same folder, synced, then renamed over the target atomically, so a crash never leaves a partial file.
 */
public final class SafetensorsWriter {
    /** What diffusers' and transformers' {@code save_pretrained} put in {@code __metadata__}. */
    public static final Map<String, String> DEFAULT_METADATA = Map.of("format", "pt");

    private SafetensorsWriter() {}

    /** {@link #write(Path, Map, Map)} with the default {@code {"format": "pt"}} metadata. */
    public static void write(Path file, Map<String, NDArray> tensors) {
        write(file, tensors, null);
    }

    /**
     * Writes {@code tensors} to {@code file}. {@code metadata} null means {@code {"format": "pt"}}; an empty
     * map writes no {@code __metadata__} at all (like the reference writer given none).
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        Map<String, String> meta = metadata == null ? DEFAULT_METADATA : metadata;
        List<Item> items = plan(file, tensors);
        byte[] header = header(file, items, meta);
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new SafetensorsException(file, "cannot write: folder " + dir + " does not exist");
        }
        try {
            AtomicFiles.replace(file, ch -> {
                ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(header.length).put(header).flip();
                writeFully(ch, head);
                for (Item it : items) {
                    writeFully(ch, data(file, it));
                }
            });
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot write: " + AtomicFiles.describe(e), e);
        }
    }

    private record Item(String name, byte[] utf8, DType dtype, NDArray array, long bytes) {}

    private static List<Item> plan(Path file, Map<String, NDArray> tensors) {
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
            String name = t.getKey();
            NDArray a = t.getValue();
            if (name == null || SafetensorsHeader.METADATA_KEY.equals(name)) {
                throw new SafetensorsException(file, "cannot write a tensor named " + name
                        + ": the name is reserved");
            }
            if (a == null) {
                throw new SafetensorsException(file, "tensor '" + name + "' is null");
            }
            DType dtype = DType.of(a.getDataType()).orElseThrow(() -> new SafetensorsException(file,
                    "tensor '" + name + "' has type " + a.getDataType() + ", which safetensors/bkd cannot store"));
            long bytes = a.getShape().size() * dtype.byteSize();
            items.add(new Item(name, name.getBytes(StandardCharsets.UTF_8), dtype, a, bytes));
        }
        // the reference writer's order: descending dtype alignment, then name
        items.sort(Comparator.comparing(Item::dtype, Comparator.reverseOrder())
                .thenComparing(Item::utf8, Arrays::compareUnsigned));
        return items;
    }

    private static byte[] header(Path file, List<Item> items, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = ConfigReader.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    if (m.getKey() == null || m.getValue() == null) {
                        throw new SafetensorsException(file, "metadata keys and values must not be null: " + m);
                    }
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Item it : items) {
                g.writeObjectFieldStart(it.name());
                g.writeStringField("dtype", it.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long d : it.array().getShape().getShape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + it.bytes());
                g.writeEndArray();
                g.writeEndObject();
                offset += it.bytes();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot build the header: " + e, e);
        }
        int pad = (8 - out.size() % 8) % 8;
        for (int i = 0; i < pad; i++) {
            out.write(' ');
        }
        if (out.size() > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header would be " + out.size() + " bytes, over the "
                    + SafetensorsHeader.MAX_HEADER_BYTES + "-byte limit readers enforce");
        }
        return out.toByteArray();
    }

    /** The array's bytes without a Java-heap copy: DJL exposes a CPU tensor's storage as a direct buffer. */
    private static ByteBuffer data(Path file, Item it) {
        if (it.bytes() == 0) {
            return ByteBuffer.allocate(0);
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors is little-endian; bkd does not byte-swap");
        }
        ByteBuffer b = it.array().toByteBuffer(true);
        if (b.remaining() != it.bytes()) {
            throw new SafetensorsException(file, "tensor '" + it.name() + "' gave " + b.remaining()
                    + " bytes, expected " + it.bytes() + " for " + it.array().getShape() + " " + it.dtype());
        }
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Temp files are created 0600; a saved model should be readable like any other file. */


}
