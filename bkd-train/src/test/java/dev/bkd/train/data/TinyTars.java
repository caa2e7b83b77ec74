package dev.bkd.train.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes small tar archives for the webdataset tests, following the POSIX ustar layout (octal fields, checksum over
 * the header with the checksum field as spaces, data padded to 512, two zero blocks at the end). Names longer than
 * 100 bytes get a GNU {@code L} or a pax {@code x} header, as GNU tar and Python's tarfile write them.
 */
final class TinyTars {
    enum LongNames { GNU, PAX }

    private final Map<String, byte[]> members = new LinkedHashMap<>();
    private LongNames longNames = LongNames.PAX;

    TinyTars add(String name, byte[] data) {
        members.put(name, data);
        return this;
    }

    TinyTars add(String name, String text) {
        return add(name, text.getBytes(StandardCharsets.UTF_8));
    }

    TinyTars addFile(String name, Path file) {
        try {
            return add(name, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TinyTars longNames(LongNames how) {
        this.longNames = how;
        return this;
    }

    Path write(Path file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        members.forEach((name, data) -> {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            if (n.length > 100) {
                if (longNames == LongNames.GNU) {
                    byte[] withNul = java.util.Arrays.copyOf(n, n.length + 1);
                    entry(out, "././@LongLink", (byte) 'L', withNul);
                } else {
                    String rec = " path=" + name + "\n";
                    int len = rec.getBytes(StandardCharsets.UTF_8).length;
                    int total = len + String.valueOf(len).length();
                    total = len + String.valueOf(total).length();
                    entry(out, "PaxHeader/x", (byte) 'x', (total + rec).getBytes(StandardCharsets.UTF_8));
                }
                name = name.substring(name.length() - 90);
            }
            entry(out, name, (byte) '0', data);
        });
        out.writeBytes(new byte[1024]);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static void entry(ByteArrayOutputStream out, String name, byte type, byte[] data) {
        byte[] h = new byte[512];
        put(h, 0, name.getBytes(StandardCharsets.UTF_8), 100);
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, data.length);
        octal(h, 136, 12, 1_700_000_000L);
        h[156] = type;
        put(h, 257, "ustar\u000000".getBytes(StandardCharsets.US_ASCII), 8);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        out.writeBytes(h);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] h, int off, byte[] v, int max) {
        System.arraycopy(v, 0, h, off, Math.min(v.length, max));
    }

    /** {@code len - 1} octal digits and a NUL. */
    private static void octal(byte[] h, int off, int len, long v) {
        String s = String.format("%0" + (len - 1) + "o", v);
        put(h, off, s.getBytes(StandardCharsets.US_ASCII), len - 1);
        h[off + len - 1] = 0;
    }
}
