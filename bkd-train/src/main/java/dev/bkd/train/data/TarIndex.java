package dev.bkd.train.data;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The regular files of an uncompressed tar archive (POSIX ustar, GNU long names, pax {@code path}/{@code size}
 * records, as Python's tarfile writes for img2dataset and webdataset), found by reading only the 512-byte headers
 * and seeking over the data, so a shard is indexed without extracting or reading its images. Members are then read
 * in place by offset ({@link Member#read}). Hand-written rather than commons-compress's TarFile: a shard needs one
 * header loop that yields member offsets for reading in place and keeps the samples before a truncation (a download
 * cut short), and commons-compress is on our classpath only transitively, at whatever version DJL picks; declaring
 * it for this loop would make it ours to track.
 */
public final class TarIndex {
    static final int BLOCK = 512;

    private TarIndex() {}

    /** One regular file of the archive: its path inside, where its data starts, its size in bytes. */
    public record Member(Path tar, String name, long offset, long size) {
        /** The member's bytes, read in place from the archive. */
        public byte[] read() throws IOException {
            try (FileChannel ch = FileChannel.open(tar, StandardOpenOption.READ)) {
                return read(ch);
            }
        }

        /** The member's bytes, read from {@code ch}, an open channel on {@link #tar}. */
        public byte[] read(FileChannel ch) throws IOException {
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException(name + " in " + tar + " is too large (" + size + " bytes)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            readFully(ch, buf, offset);
            return buf.array();
        }
    }

    /**
     * What {@link #scan} found: the complete members, and the problem that ended the scan early (a truncated or
     * corrupt archive; null when the archive ended properly). Members before the problem are usable.
     */
    public record Listing(List<Member> members, String problem) {}

    /** Indexes {@code tar}; throws only when it cannot be opened at all. */
    public static Listing scan(Path tar) throws IOException {
        List<Member> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(tar, StandardOpenOption.READ)) {
            long length = ch.size();
            long pos = 0;
            String longName = null;
            String paxPath = null;
            long paxSize = -1;
            ByteBuffer header = ByteBuffer.allocate(BLOCK);
            while (true) {
                if (pos == length) {
                    return new Listing(out, null); // no end-of-archive marker, but every member is whole (as tar accepts)
                }
                if (pos + BLOCK > length) {
                    return new Listing(out, "truncated at byte " + pos + " (header cut off)");
                }
                header.clear();
                readFully(ch, header, pos);
                byte[] h = header.array();
                if (allZero(h)) {
                    return new Listing(out, null); // end-of-archive marker
                }
                if (!checksumOk(h)) {
                    return new Listing(out, "corrupt header at byte " + pos + " (checksum mismatch)");
                }
                long size = paxSize >= 0 ? paxSize : number(h, 124, 12);
                if (size < 0) {
                    return new Listing(out, "corrupt header at byte " + pos + " (bad size field)");
                }
                long data = pos + BLOCK;
                if (data + size > length) {
                    return new Listing(out, "truncated at byte " + length + " (member `" + name(h) + "` needs "
                            + size + " bytes from byte " + data + ")");
                }
                byte type = h[156];
                switch (type) {
                    case 'L' -> longName = cString(readAt(ch, data, size));
                    case 'x' -> {
                        for (String[] kv : paxRecords(readAt(ch, data, size))) {
                            if (kv[0].equals("path")) {
                                paxPath = kv[1];
                            } else if (kv[0].equals("size")) {
                                paxSize = Long.parseLong(kv[1].strip());
                            }
                        }
                    }
                    default -> {
                        if (type == '0' || type == 0 || type == '7') {
                            String n = paxPath != null ? paxPath : longName != null ? longName : name(h);
                            out.add(new Member(tar, n, data, size));
                        }
                        // directories, links, pax globals and others carry no sample data
                        longName = null;
                        paxPath = null;
                        paxSize = -1;
                    }
                }
                pos = data + (size + BLOCK - 1) / BLOCK * BLOCK;
            }
        } catch (NumberFormatException e) {
            return new Listing(List.of(), "corrupt pax size record: " + e.getMessage());
        }
    }

    private static byte[] readAt(FileChannel ch, long pos, long size) throws IOException {
        if (size > 1 << 20) {
            throw new IOException("a tar name or pax header of " + size + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        readFully(ch, b, pos);
        return b.array();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new EOFException("unexpected end of file at byte " + (pos + buf.position()));
            }
        }
    }

    private static boolean allZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** ustar checksum: the unsigned sum of the header with the checksum field read as spaces. */
    private static boolean checksumOk(byte[] h) {
        long want = number(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum == want;
    }

    /** ustar name with its prefix field (155 bytes at 345) when the magic says ustar. */
    private static String name(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r';
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** An octal field (NUL/space padded), or GNU base-256 when the top bit is set; -1 when malformed. */
    static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte b = h[i];
            if (b == 0 || (b == ' ' && any)) {
                break;
            }
            if (b == ' ') {
                continue;
            }
            if (b < '0' || b > '7') {
                return -1;
            }
            v = v * 8 + (b - '0');
            any = true;
        }
        return any ? v : 0;
    }

    private static String cString(byte[] b) {
        return cString(b, 0, b.length);
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** pax records: "LEN key=value\n" repeated, LEN counting the whole record. */
    private static List<String[]> paxRecords(byte[] b) {
        List<String[]> out = new ArrayList<>();
        int p = 0;
        while (p < b.length) {
            int sp = p;
            while (sp < b.length && b[sp] != ' ') {
                sp++;
            }
            if (sp >= b.length) {
                break;
            }
            int len = Integer.parseInt(new String(b, p, sp - p, StandardCharsets.US_ASCII));
            if (len <= 0 || p + len > b.length) {
                throw new NumberFormatException("record length " + len);
            }
            String rec = new String(b, sp + 1, len - (sp - p) - 2, StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq > 0) {
                out.add(new String[] {rec.substring(0, eq), rec.substring(eq + 1)});
            }
            p += len;
        }
        return out;
    }
}
