package dev.bkd.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The eval reference set's counter-based random weights ({@code ref/fid_inception_recipe.json}, defined in its
 * README): 95 MB of FID Inception weights that the reference cannot ship, regenerated bit for bit from names.
 */
public final class CounterRecipe {
    private final JsonNode json;
    private final int seed;

    private CounterRecipe(JsonNode json) {
        this.json = json;
        this.seed = json.get("seed").asInt();
    }

    public static CounterRecipe fidInception() {
        try {
            return new CounterRecipe(new ObjectMapper().readTree(
                    RefData.file("eval", "ref/fid_inception_recipe.json").toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The recipe's key entries (name, shape, dtype, kind, base, bound, sha256_le_f32, ...). */
    public Iterable<JsonNode> keys() {
        return json.get("keys");
    }

    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    static int fnv1a32(byte[] utf8) {
        int h = 0x811C9DC5;
        for (byte b : utf8) {
            h ^= (b & 0xFF);
            h *= 0x01000193;
        }
        return h;
    }

    /** The float32 values of one key, row-major. */
    public float[] values(JsonNode key) {
        String name = key.get("name").asText();
        int n = 1;
        for (JsonNode d : key.get("shape")) {
            n *= d.asInt();
        }
        float base = (float) key.get("base").asDouble();
        float bound = Float.parseFloat(key.get("bound").asText());
        int keySeed = fmix32(fnv1a32(name.getBytes(StandardCharsets.UTF_8)) ^ seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int h = fmix32(i * 0x9E3779B9 + keySeed);
            float u = ((h >>> 8) - 8388608) * 0x1p-23f;
            out[i] = base == 0f ? u * bound : base + u * bound;
        }
        return out;
    }

    /** sha256 of the little-endian float32 bytes, the recipe's exact check. */
    public static String sha256(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** All keys as arrays (int64 counters as 0), in the recipe's order. */
    public Map<String, NDArray> tensors(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (JsonNode k : keys()) {
            long[] shape = new long[k.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = k.get("shape").get(i).asLong();
            }
            out.put(k.get("name").asText(), "I64".equals(k.get("dtype").asText())
                    ? manager.create(new long[] {0L}).reshape(new Shape(shape))
                    : manager.create(values(k), new Shape(shape)));
        }
        return out;
    }

    /** Writes the weights as a safetensors file, as a user's one-time conversion of the .pth would. */
    public Path writeSafetensors(Path file) {
        try (NDManager m = NDManager.newBaseManager()) {
            SafetensorsWriter.write(file, tensors(m));
        }
        return file;
    }
}
