package dev.bkd.core.safetensors;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, opened for reading. {@link #open} reads and validates the whole header before any
 * tensor is touched; tensors are then read one at a time by mapping just their byte range, so files of any
 * size work (one Java mapping is limited to 2 GiB, one tensor must fit in one).
 *
 * <p>How {@link #load} avoids copies, and why it still copies once: DJL's {@code PtNDManager.create(Buffer,
 * Shape, DataType)} given a direct (or mapped) ByteBuffer calls {@code torch::from_blob} on the buffer's
 * address, so the tensor <em>aliases</em> the buffer and only that one PtNDArray keeps the buffer reachable.
 * Views derived from it (reshape, transpose, slices, toType to the same type) hold no such reference: once the
 * original array is closed and the buffer collected, the mapping is unmapped under them and the JVM crashes
 * (SIGSEGV), and a read-only mapping also crashes on any in-place op. So {@link #load} instead creates a
 * tensor that owns its native memory ({@code torch::empty}), obtains its storage as a direct buffer
 * ({@code toByteBuffer(true)} aliases CPU storage in DJL 0.36) and copies the mapped bytes straight into it:
 * one native memcpy, no copy on the Java heap, no aliasing, and the mapping is released right after.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** One tensor must fit in one Java ByteBuffer (and DJL sizes arrays with an int). */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /** Opens and validates {@code file}; every problem is a {@link SafetensorsException} naming it. */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new SafetensorsException(file, "is a directory, not a .safetensors file");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            SafetensorsHeader header = SafetensorsHeader.read(file, ch, ch.size());
            return new SafetensorsFile(file, ch, header);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, "file not found");
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SafetensorsException(file, "cannot read: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors in file order (by data offset). */
    public List<SafetensorsEntry> entries() {
        return header.entries();
    }

    /** Tensor names in file order. */
    public Set<String> names() {
        return header.byName().keySet();
    }

    public boolean contains(String name) {
        return header.byName().containsKey(name);
    }

    /** The entry of {@code name}; a {@link SafetensorsException} if the file has no such tensor. */
    public SafetensorsEntry entry(String name) {
        SafetensorsEntry e = header.byName().get(name);
        if (e == null) {
            throw new SafetensorsException(path, "no tensor named '" + name + "' (the file has "
                    + header.entries().size() + " tensors)");
        }
        return e;
    }

    /** The {@code __metadata__} string map (empty if absent), in file order. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Absolute file position of the first data byte (8 + header length). */
    public long dataStart() {
        return header.dataStart();
    }

    /**
     * Materialises {@code name} in {@code manager} as an array that owns its memory (see the class comment).
     * BF16 is widened to FLOAT32 and I16 to INT32 in Java, because DJL's PyTorch engine aborts the JVM on
     * BFLOAT16 and INT16 arrays. The array is named {@code name}.
     */
    public NDArray load(String name, NDManager manager) {
        ensureOpen();
        SafetensorsEntry e = entry(name);
        DataType target = e.dtype().loadedAs().orElseThrow(() -> new SafetensorsException(path, "tensor '"
                + name + "' has dtype " + e.dtype() + ", which bkd cannot load (no DJL tensor type for it)"));
        long outBytes = e.elementCount() * target.getNumOfBytes();
        if (outBytes > MAX_TENSOR_BYTES || e.byteSize() > MAX_TENSOR_BYTES) {
            throw new SafetensorsException(path, "tensor '" + name + "' " + e.shape() + " needs " + outBytes
                    + " bytes as " + target + ", more than one DJL NDArray can hold (" + MAX_TENSOR_BYTES
                    + " bytes, Java's ByteBuffer limit)");
        }
        Device device = manager.getDevice();
        boolean onCpu = device.getDeviceType().equals(Device.Type.CPU);
        NDManager host = onCpu ? manager : manager.newSubManager(Device.cpu());
        NDArray out = host.create(e.shape(), target);
        try {
            if (e.byteSize() > 0) {
                fill(e, out, outBytes);
            }
            if (!onCpu) {
                NDArray moved = out.toDevice(device, false);
                moved.attach(manager);
                out = moved;
            }
            out.setName(name);
            return out;
        } catch (RuntimeException ex) {
            out.close();
            throw ex;
        } finally {
            if (!onCpu) {
                host.close();
            }
        }
    }

    /** Loads every tensor, in file order. */
    public Map<String, NDArray> loadAll(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (SafetensorsEntry e : entries()) {
            out.put(e.name(), load(e.name(), manager));
        }
        return out;
    }

    /**
     * The stored bytes of {@code name}, exactly as in the file (little-endian, unconverted), as a read-only
     * mapped buffer released by the GC once unreachable.
     */
    public ByteBuffer rawBytes(String name) {
        ensureOpen();
        SafetensorsEntry e = entry(name);
        if (e.byteSize() > MAX_TENSOR_BYTES) {
            throw new SafetensorsException(path, "tensor '" + name + "' is " + e.byteSize()
                    + " bytes, more than one Java buffer can map");
        }
        return map(e).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void fill(SafetensorsEntry e, NDArray out, long outBytes) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors is little-endian; bkd does not byte-swap"
                    + " on this big-endian machine");
        }
        ByteBuffer dst = out.toByteBuffer(true);
        if (!dst.isDirect() || dst.capacity() != outBytes) {
            // only an aliasing buffer lets us write into the tensor; anything else would silently lose the data
            throw new IllegalStateException("DJL did not expose the storage of a new CPU tensor as a direct"
                    + " buffer (DJL version changed?); cannot load " + path + " '" + e.name() + "'");
        }
        dst.order(ByteOrder.LITTLE_ENDIAN);
        MappedByteBuffer src = map(e);
        try {
            src.order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype()) {
                case BF16 -> widenBf16(src.asShortBuffer(), dst.asIntBuffer());
                case I16 -> widenI16(src.asShortBuffer(), dst.asIntBuffer());
                default -> dst.put(src);
            }
        } catch (InternalError err) {
            // a mapped read faults (SIGBUS) when the file shrank after open; the JVM reports it this way
            throw new SafetensorsException(path, "file changed while reading tensor '" + e.name() + "': " + err,
                    err);
        } finally {
            MappedRegions.unmap(src);
        }
    }

    /** BF16 is the top half of an FP32: shift the 16 bits up, exactly. */
    static void widenBf16(ShortBuffer src, IntBuffer dst) {
        for (int i = 0, n = src.limit(); i < n; i++) {
            dst.put(i, (src.get(i) & 0xFFFF) << 16);
        }
    }

    private static void widenI16(ShortBuffer src, IntBuffer dst) {
        for (int i = 0, n = src.limit(); i < n; i++) {
            dst.put(i, src.get(i));
        }
    }

    private MappedByteBuffer map(SafetensorsEntry e) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + e.begin(), e.byteSize());
        } catch (IOException ex) {
            throw new SafetensorsException(path, "cannot map tensor '" + e.name() + "': " + ex, ex);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing was written
            }
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.entries().size() + " tensors]";
    }
}
