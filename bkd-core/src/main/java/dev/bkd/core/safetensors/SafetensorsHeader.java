package dev.bkd.core.safetensors;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.bkd.core.config.ConfigReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The parsed and fully validated header of one safetensors file. Validation mirrors the reference
 * implementation: data offsets, sorted, must tile the data buffer exactly (no gap, no overlap, nothing after).
 */
record SafetensorsHeader(List<SafetensorsEntry> entries, Map<String, SafetensorsEntry> byName,
                         Map<String, String> metadata, long dataStart) {

    /** Same cap as the reference implementation: a larger "header" means a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final ObjectReader JSON = ConfigReader.MAPPER.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Reads and validates the header of {@code file}, whose size is {@code fileSize}. */
    static SafetensorsHeader read(Path file, FileChannel ch, long fileSize) throws IOException {
        if (fileSize < 8) {
            throw new SafetensorsException(file, "file is " + fileSize
                    + " bytes, shorter than the 8-byte header length: truncated or not a safetensors file");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0);
        long n = len.flip().getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n)
                    + " bytes is absurd (limit " + MAX_HEADER_BYTES + "): not a safetensors file, or corrupt");
        }
        if (8 + n > fileSize) {
            throw new SafetensorsException(file, "header length " + n + " bytes exceeds the file size "
                    + fileSize + ": truncated or not a safetensors file");
        }
        ByteBuffer raw = ByteBuffer.allocate((int) n);
        readFully(ch, raw, 8);
        String text = decodeUtf8(file, raw.flip());
        return parse(file, text, 8 + n, fileSize - 8 - n);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos + dst.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static String decodeUtf8(Path file, ByteBuffer raw) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(raw);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8 (byte " + (8 + raw.position())
                    + "): not a safetensors file, or corrupt");
        }
    }

    private static SafetensorsHeader parse(Path file, String text, long dataStart, long dataLength) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                throw new SafetensorsException(file, "header names a tensor twice: " + msg
                        + " (a reader would silently keep only one of them)", e);
            }
            throw new SafetensorsException(file, "header is not valid JSON: " + jsonProblem(e), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new SafetensorsException(file, "header is not a JSON object but empty");
        }
        if (!root.isObject()) {
            throw new SafetensorsException(file, "header is not a JSON object but "
                    + root.getNodeType().toString().toLowerCase());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsEntry> inHeaderOrder = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (METADATA_KEY.equals(f.getKey())) {
                readMetadata(file, f.getValue(), metadata);
            } else {
                inHeaderOrder.add(entry(file, f.getKey(), f.getValue()));
            }
        }
        List<SafetensorsEntry> sorted = new ArrayList<>(inHeaderOrder);
        // stable: zero-size tensors sharing an offset keep their header order
        sorted.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        checkLayout(file, sorted, dataLength);
        Map<String, SafetensorsEntry> byName = new LinkedHashMap<>();
        for (SafetensorsEntry e : sorted) {
            byName.put(e.name(), e);
        }
        return new SafetensorsHeader(Collections.unmodifiableList(sorted), Collections.unmodifiableMap(byName),
                Collections.unmodifiableMap(metadata), dataStart);
    }

    /** Jackson's message without its source-location noise, plus the column (the header is one line). */
    static String jsonProblem(JsonProcessingException e) {
        String msg = String.valueOf(e.getOriginalMessage()).replaceAll("\\s*\\(start marker at \\[Source:.*?\\]\\)", "");
        return e.getLocation() == null ? msg : msg + " (at character " + e.getLocation().getCharOffset() + ")";
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, "header field " + METADATA_KEY
                    + " must be an object of strings, found " + node.getNodeType().toString().toLowerCase());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw new SafetensorsException(file, "header field " + METADATA_KEY + "." + f.getKey()
                        + " must be a string, found " + f.getValue().getNodeType().toString().toLowerCase());
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
    }

    private static SafetensorsEntry entry(Path file, String name, JsonNode node) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsException(file, where + ": entry must be an object with dtype, shape and"
                    + " data_offsets, found " + node.getNodeType().toString().toLowerCase());
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new SafetensorsException(file, where + ": " + (dt == null ? "missing field dtype"
                    : "dtype must be a string, found " + dt.getNodeType().toString().toLowerCase()));
        }
        DType dtype = DType.byName(dt.textValue()).orElseThrow(() -> new SafetensorsException(file, where
                + ": unknown or unsupported dtype '" + dt.textValue() + "' (bkd knows "
                + java.util.Arrays.stream(DType.values()).map(Enum::name).collect(Collectors.joining(", "))
                + ")"));
        long[] dims = nonNegativeLongs(file, where, "shape", node.get("shape"), -1);
        long[] offsets = nonNegativeLongs(file, where, "data_offsets", node.get("data_offsets"), 2);
        long elements = 1;
        long bytes;
        try {
            for (long d : dims) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, where + ": shape " + java.util.Arrays.toString(dims)
                    + " has more elements than fit in 64 bits");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsException(file, where + ": data_offsets [" + begin + ", " + end
                    + "] end before they begin");
        }
        if (end - begin != bytes) {
            throw new SafetensorsException(file, where + ": shape " + java.util.Arrays.toString(dims) + " of "
                    + dtype + " needs " + bytes + " bytes but data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin));
        }
        return new SafetensorsEntry(name, dtype, new Shape(dims), begin, end);
    }

    /** A JSON array of non-negative integers; {@code length} -1 means any length. */
    private static long[] nonNegativeLongs(Path file, String where, String field, JsonNode node, int length) {
        if (node == null) {
            throw new SafetensorsException(file, where + ": missing field " + field);
        }
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw new SafetensorsException(file, where + ": " + field + " must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, found " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsException(file, where + ": " + field + " must hold non-negative integers"
                        + " that fit in 64 bits, found " + v + " in " + node);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Sorted entries must tile [0, dataLength) exactly, like the reference reader demands. */
    private static void checkLayout(Path file, List<SafetensorsEntry> sorted, long dataLength) {
        long expected = 0;
        SafetensorsEntry previous = null;
        for (SafetensorsEntry e : sorted) {
            String where = "tensor '" + e.name() + "' data_offsets [" + e.begin() + ", " + e.end() + "]";
            if (e.end() > dataLength) {
                throw new SafetensorsException(file, where + " run past the end of the data buffer ("
                        + dataLength + " bytes after the header): the file is truncated or the offsets are wrong");
            }
            if (e.begin() < expected) {
                throw new SafetensorsException(file, where + " overlap tensor '" + previous.name()
                        + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > expected) {
                throw new SafetensorsException(file, where + " leave a gap of " + (e.begin() - expected)
                        + " unaccounted bytes before them; safetensors data must be contiguous");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            throw new SafetensorsException(file, "the header accounts for " + expected + " data bytes but the file"
                    + " has " + dataLength + " after the header: " + (dataLength - expected)
                    + " trailing bytes (corrupt, or written by a broken tool)");
        }
    }
}
