package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import dev.bkd.core.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/**
 * Writes PNGs with text chunks, as PIL's PngInfo.add_text does: {@code tEXt} when the text is Latin-1,
 * otherwise an uncompressed {@code iTXt} (UTF-8), placed right after {@code IHDR}.
 */
public final class PngFiles {
    private static final int SIGNATURE_AND_IHDR = 8 + 4 + 4 + 13 + 4;

    private PngFiles() {}

    /** Writes {@code image} to {@code file} with {@code text} (keyword -> value) chunks. */
    public static void write(BufferedImage image, Path file, Map<String, String> text) {
        byte[] bytes = encode(image, text, file.toString());
        try {
            // via a temp file and a rename: a failed or killed write (full disk) leaves no truncated PNG that
            // later numbering would keep
            AtomicFiles.replace(file, ch -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            });
        } catch (IOException e) {
            throw new BkdException(file + ": cannot write the PNG: " + AtomicFiles.describe(e), e);
        }
    }

    /** The PNG bytes of {@code image} with {@code text} chunks (what {@link #write} stores; the server sends them). */
    public static byte[] encode(BufferedImage image, Map<String, String> text) {
        return encode(image, text, "PNG");
    }

    private static byte[] encode(BufferedImage image, Map<String, String> text, String what) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", png)) {
                throw new BkdException(what + ": no PNG writer in this JVM");
            }
            byte[] plain = png.toByteArray();
            if (!new String(plain, 12, 4, StandardCharsets.US_ASCII).equals("IHDR")) {
                throw new BkdException(what + ": the JVM's PNG writer did not start with IHDR");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length + 1024);
            out.write(plain, 0, SIGNATURE_AND_IHDR);
            for (Map.Entry<String, String> e : text.entrySet()) {
                out.write(textChunk(e.getKey(), e.getValue()));
            }
            out.write(plain, SIGNATURE_AND_IHDR, plain.length - SIGNATURE_AND_IHDR);
            return out.toByteArray();
        } catch (IOException e) {
            throw new BkdException(what + ": cannot encode the PNG: " + e.getMessage(), e);
        }
    }

    static byte[] textChunk(String keyword, String value) {
        if (keyword.isEmpty() || keyword.length() > 79 || !latin1(keyword)) {
            throw new BkdException("PNG text keyword \"" + keyword + "\" must be 1-79 Latin-1 characters");
        }
        if (value.indexOf('\0') >= 0) {
            throw new BkdException("PNG text \"" + keyword + "\" must not contain NUL characters");
        }
        byte[] key = keyword.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(key);
        data.write(0);
        String type;
        if (latin1(value)) {
            type = "tEXt";
            data.writeBytes(value.getBytes(StandardCharsets.ISO_8859_1));
        } else {
            type = "iTXt";
            data.write(0); // not compressed
            data.write(0); // compression method
            data.write(0); // no language tag
            data.write(0); // no translated keyword
            data.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        }
        return chunk(type, data.toByteArray());
    }

    private static byte[] chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(t).put(data)
                .putInt((int) crc.getValue()).array();
    }

    private static boolean latin1(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xFF || c == 0) {
                return false;
            }
        }
        return true;
    }
}
