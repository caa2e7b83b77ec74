package dev.bkd.core.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.BkdException;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TorchGenerator} against torch 2.13's CPU generator as recorded in {@code checkpoints/rng} (the
 * {@code avx2.*} tensors, which AVX-512 machines reproduce too): every case bit for bit.
 */
class TorchGeneratorTest {
    private static SafetensorsFile ref;
    private static JsonNode cases;

    @BeforeAll
    static void open() throws IOException {
        ref = SafetensorsFile.open(RefData.file("checkpoints", "rng/torch_cpu_rng.safetensors"));
        cases = new ObjectMapper().readTree(RefData.file("checkpoints", "rng/rng.json").toFile()).get("cases");
    }

    @AfterAll
    static void close() {
        ref.close();
    }

    private static float[] floats(String key) {
        ByteBuffer b = ref.rawBytes("avx2." + key).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static int numel(String shape) {
        return Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).reduce(1, (a, b) -> a * b);
    }

    private static void assertBits(float[] expected, float[] actual, String key) {
        assertEquals(expected.length, actual.length, key + ": length");
        int bad = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                bad++;
                first = first < 0 ? i : first;
            }
        }
        if (bad > 0) {
            throw new AssertionError(key + ": " + bad + " of " + expected.length + " elements differ; first at "
                    + first + ": expected " + expected[first] + ", got " + actual[first]);
        }
    }

    /** Every {@code randn.seed{S}.{shape}} case: both sampling paths (below and from 16 elements), all seeds. */
    @Test
    void randnEveryRecordedSeedAndShape() {
        int checked = 0;
        for (JsonNode c : cases) {
            String key = c.get("key").asText();
            if (!key.startsWith("randn.seed")) {
                continue;
            }
            String[] parts = key.split("\\.");
            long seed = Long.parseLong(parts[1].substring("seed".length()));
            float[] actual = new TorchGenerator(seed).randn(numel(parts[2]));
            assertBits(floats(key), actual, key);
            checked++;
        }
        assertTrue(checked >= 40, "expected the 41 randn cases, found " + checked);
    }

    /** Consecutive draws from one generator: the vector path after a vector draw, the scalar cache across calls. */
    @Test
    void consecutiveDrawsAndTheBoxMullerCache() {
        TorchGenerator g42 = new TorchGenerator(42);
        assertBits(floats("seq42.0.randn.1x4x8x8"), g42.randn(256), "seq42.0");
        assertBits(floats("seq42.1.randn.5"), g42.randn(5), "seq42.1");

        TorchGenerator g7 = new TorchGenerator(7);
        int[] sizes = {3, 20, 1, 3};
        for (int i = 0; i < sizes.length; i++) {
            String key = "cache7." + i + ".randn." + sizes[i];
            assertBits(floats(key), g7.randn(sizes[i]), key);
        }
        // manual_seed clears the cached sine half: a reseeded generator starts over
        TorchGenerator again = new TorchGenerator(99).manualSeed(7);
        assertBits(floats("cache7.0.randn.3"), again.randn(3), "cache7.0 after reseed");
    }

    @Test
    void randAndRandint() {
        assertBits(floats("rand.seed7.10"), new TorchGenerator(7).rand(10), "rand.seed7.10");
        ByteBuffer b = ref.rawBytes("avx2.randint.seed7.0_1000.4").order(ByteOrder.LITTLE_ENDIAN);
        long[] expected = new long[4];
        b.asLongBuffer().get(expected);
        assertArrayEquals(expected, new TorchGenerator(7).randint(0, 1000, 4));
    }

    /** diffusers' randn_tensor with a list of generators = one draw per row; one generator = a different tensor. */
    @Test
    void randnTensorOneGeneratorPerImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 4, 8, 8);
            NDArray perImage = TorchGenerator.randnTensor(
                    List.of(new TorchGenerator(10), new TorchGenerator(11)), m, shape);
            assertEquals(shape, perImage.getShape());
            assertBits(floats("randn_tensor.gens10_11.2x4x8x8"), perImage.toFloatArray(), "randn_tensor");
            NDArray oneGen = new TorchGenerator(10).randn(m, shape);
            assertBits(floats("randn.seed10.2x4x8x8"), oneGen.toFloatArray(), "randn.seed10");
            BkdException e = assertThrows(BkdException.class,
                    () -> TorchGenerator.randnTensor(List.of(new TorchGenerator(1)), m, shape));
            assertTrue(e.getMessage().contains("one generator per batch row"), e.getMessage());
        }
    }

    /** A float16 pipeline gets the float32 draw rounded to half (torch draws in float32 and casts). */
    @Test
    void float16DrawIsTheRoundedFloat32Draw() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String shape : new String[] {"1x4x8x8", "3"}) {
                String key = "randn_fp16.seed0." + shape;
                long[] dims = Arrays.stream(shape.split("x")).mapToLong(Long::parseLong).toArray();
                NDArray half = new TorchGenerator(0).randn(m, new Shape(dims)).toType(DataType.FLOAT16, false);
                ByteBuffer expected = ref.rawBytes("avx2." + key).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer actual = half.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                List<Short> e = new ArrayList<>();
                List<Short> a = new ArrayList<>();
                while (expected.hasRemaining()) {
                    e.add(expected.getShort());
                    a.add(actual.getShort());
                }
                assertEquals(e, a, key);
            }
        }
    }

    /** Only the low 32 bits of the seed count, as in torch (2^32 + 5 draws what 5 draws). */
    @Test
    void seedUsesLow32Bits() {
        assertArrayEquals(new TorchGenerator(5).randn(17), new TorchGenerator((1L << 32) + 5).randn(17));
        assertEquals((1L << 32) + 5, new TorchGenerator((1L << 32) + 5).initialSeed());
    }

    @Test
    void badArgumentsAreRejected() {
        TorchGenerator g = new TorchGenerator(0);
        assertThrows(BkdException.class, () -> g.randn(-1));
        assertThrows(BkdException.class, () -> g.randint(5, 5, 1));
        assertThrows(BkdException.class, () -> g.randint(0, 1L << 40, 1));
    }
}
