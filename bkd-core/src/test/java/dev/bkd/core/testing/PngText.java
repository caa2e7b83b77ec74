package dev.bkd.core.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/** Reads a PNG's text chunks straight from its bytes (per the PNG spec), for tests of what bkd writes. */
public final class PngText {
    private static final byte[] SIGNATURE = {(byte) 137, 80, 78, 71, 13, 10, 26, 10};

    private PngText() {}

    /** A text chunk: its type ({@code tEXt}, {@code iTXt}, {@code zTXt}) and decoded text. */
    public record Entry(String chunk, String text) {}

    /** Keyword -> entry for every tEXt/iTXt chunk; fails on a bad signature or CRC. */
    public static Map<String, Entry> read(Path png) throws IOException {
        Map<String, Entry> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(png))) {
            if (!Arrays.equals(SIGNATURE, in.readNBytes(8))) {
                throw new AssertionError(png + ": not a PNG");
            }
            while (true) {
                int len = in.readInt();
                byte[] type = in.readNBytes(4);
                byte[] data = in.readNBytes(len);
                int crc = in.readInt();
                CRC32 c = new CRC32();
                c.update(type);
                c.update(data);
                String t = new String(type, StandardCharsets.US_ASCII);
                if ((int) c.getValue() != crc) {
                    throw new AssertionError(png + ": bad CRC in " + t);
                }
                if (t.equals("IEND")) {
                    return out;
                }
                if (!t.equals("tEXt") && !t.equals("iTXt")) {
                    continue;
                }
                int key = indexOf(data, 0);
                String keyword = new String(data, 0, key, StandardCharsets.ISO_8859_1);
                if (t.equals("tEXt")) {
                    out.put(keyword, new Entry(t, new String(data, key + 1, data.length - key - 1,
                            StandardCharsets.ISO_8859_1)));
                } else {
                    if (data[key + 1] != 0) {
                        throw new AssertionError(png + ": compressed iTXt not supported by this reader");
                    }
                    int lang = indexOf(data, key + 3);
                    int text = indexOf(data, lang + 1) + 1;
                    out.put(keyword, new Entry(t, new String(data, text, data.length - text, StandardCharsets.UTF_8)));
                }
            }
        }
    }

    private static int indexOf(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        throw new AssertionError("no NUL separator in a PNG text chunk");
    }
}
