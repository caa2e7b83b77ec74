package dev.bkd.core.testing;

import java.io.IOException;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes zip entries the way torch.save does (stored, not deflated), for tests that build .ckpt/.pt files. */
public final class ZipEntries {
    private ZipEntries() {}

    /** One stored entry: ZipOutputStream needs size and CRC up front for STORED, unlike for deflated entries. */
    public static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
