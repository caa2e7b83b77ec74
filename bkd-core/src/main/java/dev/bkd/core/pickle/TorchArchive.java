package dev.bkd.core.pickle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A {@code torch.save} zip archive ({@code <root>/data.pkl} + one record {@code <root>/data/<key>} per storage),
 * read weights-only: {@link #open} unpickles {@code data.pkl} with {@link WeightsUnpickler} and checks every
 * tensor against its record's size, so the data is trusted before one byte of it is allocated. Tensors are
 * then streamed from the zip one at a time straight into native memory (records are stored uncompressed, so
 * this reads the file; no second copy lives on the Java heap). The legacy pre-1.6 non-zip format is refused.
 */
public final class TorchArchive implements AutoCloseable {
    /** data.pkl holds names and shapes only (about 150 bytes per tensor); anything far larger is not a checkpoint. */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    private static final int ZIP_MAGIC = 0x04034b50;

    private final Path path;
    private final ZipFile zip;
    private final String root;
    private final Object content;

    private TorchArchive(Path path, ZipFile zip, String root, Object content) {
        this.path = path;
        this.zip = zip;
        this.root = root;
        this.content = content;
    }

    /** True when {@code file} starts like a zip (torch.save's format since 1.6). */
    public static boolean looksLikeZip(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() == ZIP_MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens and validates {@code file}; every problem is a {@link PickleException} naming it. */
    public static TorchArchive open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new PickleException(file + ": " + (Files.exists(file) ? "not a regular file" : "file not found"));
        }
        if (!looksLikeZip(file)) {
            throw new PickleException(file + ": not a torch zip archive (torch.save since 1.6). Legacy pre-1.6"
                    + " checkpoints and raw pickles are not read by bkd; re-save with a current torch"
                    + " (torch.save(torch.load(f, weights_only=True), f2)) or as safetensors.");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (NoSuchFileException e) {
            throw new PickleException(file + ": file not found");
        } catch (ZipException e) {
            throw new PickleException(file + ": corrupt or truncated zip archive (" + e.getMessage() + "); download"
                    + " it again", e);
        } catch (IOException e) {
            throw new PickleException(file + ": cannot read: " + e, e);
        }
        try {
            String root = findRoot(file, zip);
            checkByteOrder(file, zip, root);
            ZipEntry pkl = zip.getEntry(root + "data.pkl");
            byte[] bytes = readSmall(file, zip, pkl, MAX_PICKLE_BYTES);
            Object content = WeightsUnpickler.load(bytes, file + " (" + pkl.getName() + ")");
            TorchArchive a = new TorchArchive(file, zip, root, content);
            a.checkRecords(content);
            return a;
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The unpickled object: maps, lists, {@link WeightsUnpickler.Tuple}s, scalars and {@link TensorRef}s. */
    public Object content() {
        return content;
    }

    /** The stored shape of {@code t}. */
    public static Shape shape(TensorRef t) {
        return new Shape(t.size());
    }

    /**
     * Materialises {@code t} on the CPU in {@code manager} as an array that owns its memory; BF16 widens to
     * FLOAT32 and I16 to INT32 (DJL cannot hold those), exactly as safetensors loading does.
     */
    public NDArray load(TensorRef t, NDManager manager, String name) {
        StorageType st = t.storage().type();
        DataType target = st.dtype().loadedAs().orElseThrow();
        long numel = t.numel();
        int es = st.byteSize();
        if (Math.multiplyExact(numel, (long) target.getNumOfBytes()) > Integer.MAX_VALUE) {
            throw new PickleException(path + ": tensor `" + name + "` " + shape(t) + " is larger than one DJL array"
                    + " can hold (2 GiB)");
        }
        boolean onCpu = manager.getDevice().getDeviceType().equals(ai.djl.Device.Type.CPU);
        NDManager host = onCpu ? manager : manager.newSubManager(ai.djl.Device.cpu());
        NDArray out = host.create(shape(t), target);
        try {
            ByteBuffer dst = out.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
            ZipEntry e = zip.getEntry(root + "data/" + t.storage().key());
            try (InputStream in = zip.getInputStream(e)) {
                if (t.contiguous()) {
                    skip(in, t.offset() * es, name);
                    copy(in, dst, numel, st, name);
                } else {
                    // rare (a transposed tensor saved as is): read the storage span it covers and gather
                    long span = extent(t);
                    skip(in, t.offset() * es, name);
                    byte[] raw = in.readNBytes(Math.toIntExact(span * es));
                    gather(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN), t, dst, st);
                }
            }
            if (!onCpu) {
                NDArray moved = out.toDevice(manager.getDevice(), false);
                moved.attach(manager);
                out = moved;
            }
            out.setName(name);
            return out;
        } catch (IOException ex) {
            out.close();
            throw new PickleException(path + ": cannot read tensor `" + name + "`: " + ex, ex);
        } catch (RuntimeException ex) {
            out.close();
            throw ex;
        } finally {
            if (!onCpu) {
                host.close();
            }
        }
    }

    private void copy(InputStream in, ByteBuffer dst, long numel, StorageType st, String name) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = numel * st.byteSize();
        while (left > 0) {
            int n = in.readNBytes(buf, 0, (int) Math.min(buf.length, left));
            if (n <= 0) {
                throw new PickleException(path + ": record of tensor `" + name + "` ends early (truncated)");
            }
            put(dst, ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN), st, n);
            left -= n;
        }
    }

    /** Appends {@code n} stored bytes to {@code dst}, widening BF16 and I16 (both 2 bytes, n is even). */
    private static void put(ByteBuffer dst, ByteBuffer src, StorageType st, int n) {
        switch (st) {
            case BF16 -> {
                for (int i = 0; i < n; i += 2) {
                    dst.putInt((src.getShort() & 0xFFFF) << 16);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i += 2) {
                    dst.putInt(src.getShort());
                }
            }
            default -> dst.put(src);
        }
    }

    private static void gather(ByteBuffer storage, TensorRef t, ByteBuffer dst, StorageType st) {
        int es = st.byteSize();
        long[] size = t.size();
        long[] idx = new long[size.length];
        long numel = t.numel();
        for (long n = 0; n < numel; n++) {
            long off = 0;
            for (int d = 0; d < size.length; d++) {
                off += idx[d] * t.stride()[d];
            }
            put(dst, storage.slice((int) (off * es), es).order(ByteOrder.LITTLE_ENDIAN), st, es);
            for (int d = size.length - 1; d >= 0; d--) {
                if (++idx[d] < size[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /** Elements from the first to one past the last one the view touches. */
    static long extent(TensorRef t) {
        if (t.numel() == 0) {
            return 0;
        }
        long last = 0;
        for (int d = 0; d < t.size().length; d++) {
            last = Math.addExact(last, Math.multiplyExact(t.size()[d] - 1, t.stride()[d]));
        }
        return last + 1;
    }

    private void skip(InputStream in, long bytes, String name) throws IOException {
        long left = bytes;
        while (left > 0) {
            long n = in.skip(left);
            if (n <= 0) {
                throw new PickleException(path + ": record of tensor `" + name + "` ends early (truncated)");
            }
            left -= n;
        }
    }

    /** Every tensor's storage must be a record of exactly numel x element size bytes, and the view inside it. */
    private void checkRecords(Object o) {
        List<TensorRef> tensors = new ArrayList<>();
        collect(o, tensors);
        for (TensorRef t : tensors) {
            StorageRef s = t.storage();
            ZipEntry e = zip.getEntry(root + "data/" + s.key());
            if (e == null) {
                throw new PickleException(path + ": the pickle refers to storage record `" + root + "data/" + s.key()
                        + "`, which the archive does not contain (corrupt or truncated file)");
            }
            long want;
            long end;
            try {
                want = Math.multiplyExact(s.numel(), (long) s.type().byteSize());
                end = Math.addExact(t.offset(), extent(t));
            } catch (ArithmeticException ex) {
                throw new PickleException(path + ": storage `" + s.key() + "` declares an impossible size");
            }
            if (e.getSize() != want) {
                throw new PickleException(path + ": storage record `" + e.getName() + "` holds " + e.getSize()
                        + " bytes, but the pickle declares " + s.numel() + " " + s.type() + " elements (" + want
                        + " bytes): corrupt or truncated file");
            }
            if (t.numel() > 0 && end > s.numel()) {
                throw new PickleException(path + ": a tensor of shape " + shape(t) + " at offset " + t.offset()
                        + " reaches element " + end + " of storage `" + s.key() + "`, which has " + s.numel());
            }
        }
    }

    private static void collect(Object o, List<TensorRef> out) {
        if (o instanceof TensorRef t) {
            out.add(t);
        } else if (o instanceof java.util.Map<?, ?> m) {
            m.values().forEach(v -> collect(v, out));
        } else if (o instanceof java.util.Collection<?> c) {
            c.forEach(v -> collect(v, out));
        } else if (o instanceof WeightsUnpickler.Tuple t) {
            t.items().forEach(v -> collect(v, out));
        }
    }

    /** torch names the root folder after the file's stem (older versions: {@code archive/}): take it from data.pkl. */
    private static String findRoot(Path file, ZipFile zip) {
        List<String> roots = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements();) {
            String n = en.nextElement().getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                roots.add(n.substring(0, n.length() - "data.pkl".length()));
            }
        }
        if (roots.size() != 1) {
            throw new PickleException(file + ": a zip, but not a torch.save archive: expected one `<root>/data.pkl`"
                    + " entry, found " + (roots.isEmpty() ? "none" : roots));
        }
        return roots.get(0);
    }

    private static void checkByteOrder(Path file, ZipFile zip, String root) {
        ZipEntry e = zip.getEntry(root + "byteorder");
        if (e == null) {
            return; // torch before 1.10 did not write it and only saved little-endian
        }
        String order = new String(readSmall(file, zip, e, 16), StandardCharsets.US_ASCII).trim();
        if (!order.equals("little")) {
            throw new PickleException(file + ": storages are " + order + "-endian; bkd reads little-endian"
                    + " archives only");
        }
    }

    private static byte[] readSmall(Path file, ZipFile zip, ZipEntry e, long max) {
        if (e.getSize() < 0 || e.getSize() > max) {
            throw new PickleException(file + ": entry `" + e.getName() + "` is " + e.getSize() + " bytes, more than"
                    + " the " + max + " a checkpoint's " + e.getName().substring(e.getName().lastIndexOf('/') + 1)
                    + " can be");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) e.getSize());
            if (b.length != e.getSize()) {
                throw new PickleException(file + ": entry `" + e.getName() + "` is truncated");
            }
            return b;
        } catch (IOException ex) {
            throw new PickleException(file + ": cannot read `" + e.getName() + "`: " + ex.getMessage()
                    + " (corrupt or truncated file)", ex);
        }
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile z) {
        try {
            z.close();
        } catch (IOException ignored) {
            // read-only
        }
    }

    @Override
    public String toString() {
        return "TorchArchive[" + path + "]";
    }
}
