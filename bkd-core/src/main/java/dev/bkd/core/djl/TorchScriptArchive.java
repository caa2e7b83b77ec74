package dev.bkd.core.djl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The bytes of a TorchScript archive (what torch.jit.save writes) for one parameterless module class
 * given as TorchScript source, so libtorch compiles Java-generated methods with no Python involved.
 *
 * <p>Layout: {@code ARCHIVE/code/__torch__.py} (the class source), {@code ARCHIVE/data.pkl} (the
 * pickled module instance: a {@code __torch__.CLASS} object whose only attribute is {@code training}),
 * {@code ARCHIVE/constants.pkl} (an empty tuple), {@code ARCHIVE/version} and {@code ARCHIVE/byteorder}.
 */
public final class TorchScriptArchive {
    /** File-format version torch.jit.save writes when no operator needs an upgrader. */
    static final String FORMAT_VERSION = "3";

    private TorchScriptArchive() {}

    /**
     * @param archive top folder name inside the zip
     * @param className the class name in {@code source} (qualified as {@code __torch__.className})
     * @param source TorchScript source of {@code class className(Module)}; it must declare
     *     {@code training : bool} and no other attribute
     */
    public static byte[] write(String archive, String className, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            // libtorch takes the archive name from the first entry's folder
            put(zip, archive + "/data.pkl", modulePickle(className));
            put(zip, archive + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            put(zip, archive + "/constants.pkl", new PickleWriter().emptyTuple().stop());
            put(zip, archive + "/version", (FORMAT_VERSION + "\n").getBytes(StandardCharsets.US_ASCII));
            put(zip, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("writing a TorchScript archive in memory", e);
        }
        return bytes.toByteArray();
    }

    /** The module instance: __torch__.CLASS.__new__() then BUILD with {"training": False}. */
    static byte[] modulePickle(String className) {
        return new PickleWriter()
                .global("__torch__", className)
                .emptyTuple()
                .newObj()
                .emptyDict()
                .mark()
                .string("training")
                .bool(false)
                .setItems()
                .build()
                .memoize()
                .stop();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED); // torch writes stored entries; no deflate needed on read
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
