package dev.bkd.core.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    /** Seeding is SplitMix64: the state words are the JDK SplittableRandom's first four outputs. */
    @Test
    void seedingMatchesJdkSplitMix64() {
        for (long seed : new long[] {0, 1, 42, -7, Long.MAX_VALUE}) {
            SplittableRandom ref = new SplittableRandom(seed);
            Generator.State s = new Generator(seed).state();
            assertEquals(ref.nextLong(), s.s0());
            assertEquals(ref.nextLong(), s.s1());
            assertEquals(ref.nextLong(), s.s2());
            assertEquals(ref.nextLong(), s.s3());
        }
    }

    /** The stream is xoshiro256++: identical to the JDK's implementation started from the same state. */
    @Test
    void streamMatchesJdkXoshiro256PlusPlus() {
        // JDK 17 sign-extends seed bytes when packing them into longs: use words whose bytes are all < 0x80
        Generator.State s = new Generator.State(
                0x0123456701234567L, 0x7654321076543210L, 0x1F2E3D4C5B6A7908L, 0x0011223344556677L);
        Generator g = Generator.fromState(s);
        ByteBuffer seed = ByteBuffer.allocate(32); // the JDK reads seed bytes as big-endian longs
        seed.putLong(s.s0()).putLong(s.s1()).putLong(s.s2()).putLong(s.s3());
        RandomGenerator ref = RandomGeneratorFactory.of("Xoshiro256PlusPlus").create(seed.array());
        for (int i = 0; i < 10_000; i++) {
            assertEquals(ref.nextLong(), g.nextLong(), "draw " + i);
        }
    }

    @Test
    void sameSeedSameNumbersDifferentSeedDifferentNumbers() {
        assertArrayEquals(new Generator(7).gaussians(1001), new Generator(7).gaussians(1001));
        assertFalse(java.util.Arrays.equals(new Generator(7).gaussians(16), new Generator(8).gaussians(16)));
    }

    /** Restoring a saved state (also through its text form) redraws exactly the same numbers. */
    @Test
    void stateRoundTripRedrawsTheSameNumbers() {
        Generator g = new Generator(123);
        g.gaussians(37);
        g.nextInt(10);
        Generator.State saved = g.state();
        float[] a = g.gaussians(500);
        int i1 = g.nextInt(3, 1000);
        double d1 = g.nextDouble();

        g.restore(saved);
        assertArrayEquals(a, g.gaussians(500));
        assertEquals(i1, g.nextInt(3, 1000));
        assertEquals(d1, g.nextDouble());

        Generator resumed = Generator.fromState(Generator.State.parse(saved.toString(), "checkpoint.json"));
        assertArrayEquals(a, resumed.gaussians(500));
        assertEquals(i1, resumed.nextInt(3, 1000));
    }

    /** Standard-normal moments and the 68.27% / 95.45% mass within 1 and 2 sigma (published values). */
    @Test
    void gaussiansHaveStandardNormalStatistics() {
        int n = 2_000_000;
        float[] z = new Generator(99).gaussians(n);
        double sum = 0;
        double sq = 0;
        int in1 = 0;
        int in2 = 0;
        for (float v : z) {
            sum += v;
            sq += (double) v * v;
            in1 += Math.abs(v) < 1 ? 1 : 0;
            in2 += Math.abs(v) < 2 ? 1 : 0;
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        System.out.printf("gaussians: mean %.5f var %.5f P(|z|<1) %.5f P(|z|<2) %.5f%n",
                mean, var, (double) in1 / n, (double) in2 / n);
        // 5 standard errors: mean se 1/sqrt(n), variance se sqrt(2/n), proportion se sqrt(p(1-p)/n)
        assertEquals(0, mean, 5 / Math.sqrt(n));
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n));
        assertEquals(0.682689, (double) in1 / n, 5 * Math.sqrt(0.6827 * 0.3173 / n));
        assertEquals(0.954500, (double) in2 / n, 5 * Math.sqrt(0.9545 * 0.0455 / n));
    }

    @Test
    void uniformIntsCoverTheRangeEvenly() {
        Generator g = new Generator(5);
        int[] counts = new int[10];
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            int v = g.nextInt(10, 20);
            assertTrue(v >= 10 && v < 20, "out of range: " + v);
            counts[v - 10]++;
        }
        for (int c : counts) {
            assertEquals(n / 10.0, c, 5 * Math.sqrt(n * 0.1 * 0.9));
        }
        for (int i = 0; i < 1000; i++) {
            float f = g.nextFloat();
            assertTrue(f >= 0 && f < 1);
        }
    }

    @Test
    void arraysAreFloat32WithRequestedShapeAndMatchScalarDraws() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = new Generator(11).randn(m, new Shape(2, 3, 5));
            assertEquals(new Shape(2, 3, 5), a.getShape());
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertArrayEquals(new Generator(11).gaussians(30), a.toFloatArray());

            NDArray t = new Generator(11).randint(m, 0, 1000, new Shape(64));
            assertEquals(DataType.INT64, t.getDataType());
            for (long v : t.toLongArray()) {
                assertTrue(v >= 0 && v < 1000);
            }
            NDArray u = new Generator(11).rand(m, new Shape(4, 4));
            assertTrue(u.gte(0).all().getBoolean() && u.lt(1).all().getBoolean());
        }
    }

    @Test
    void badInputsGiveSpecificErrors() {
        Generator g = new Generator(1);
        assertTrue(assertThrows(BkdException.class, () -> g.nextInt(0)).getMessage().contains("bound must be positive"));
        assertTrue(assertThrows(BkdException.class, () -> g.nextInt(5, 5)).getMessage().contains("empty range"));
        String msg = assertThrows(BkdException.class,
                () -> Generator.State.parse("xoshiro256++:12:34", "ckpt/state.json")).getMessage();
        assertTrue(msg.startsWith("ckpt/state.json: generator state must look like"), msg);
        msg = assertThrows(BkdException.class, () -> Generator.State.parse(
                "xoshiro256++:000000000000000g:0000000000000000:0000000000000000:0000000000000001", "s")).getMessage();
        assertTrue(msg.contains("word 0 is not hex"), msg);
        msg = assertThrows(BkdException.class, () -> Generator.State.parse(
                "xoshiro256++:0000000000000000:0000000000000000:0000000000000000:0000000000000000", "s")).getMessage();
        assertTrue(msg.contains("all zeros"), msg);
        assertThrows(BkdException.class, () -> g.restore(null));
    }
}
