package dev.bkd.core.random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.util.Locale;

/**
 * An explicit, seeded random source: xoshiro256++ seeded through SplitMix64, normals by Box-Muller with
 * {@link StrictMath}, so the same seed gives bit-identical numbers on every JVM, run and device (arrays are
 * drawn in Java and only then copied to the device). Its whole state is four longs: {@link #state()} /
 * {@link #restore} make a resumed training run redraw exactly the numbers it would have drawn.
 *
 * <p>Not thread-safe: give each consumer its own generator (e.g. {@link #split()}).
 */
public final class Generator implements NoiseSource {
    private long s0;
    private long s1;
    private long s2;
    private long s3;

    /** A generator whose stream is fully determined by {@code seed}. */
    public Generator(long seed) {
        long x = seed;
        long[] w = new long[4];
        for (int i = 0; i < 4; i++) {
            x += 0x9E3779B97F4A7C15L;
            w[i] = mix64(x);
        }
        set(w[0], w[1], w[2], w[3]);
    }

    private Generator(State state) {
        restore(state);
    }

    /** A generator continuing from a saved {@link State}. */
    public static Generator fromState(State state) {
        return new Generator(state);
    }

    /** The full state; {@link #restore} of it makes this generator redraw the same numbers. */
    public State state() {
        return new State(s0, s1, s2, s3);
    }

    /** Rewinds (or forwards) this generator to a saved state. */
    public void restore(State state) {
        if (state == null) {
            throw new BkdException("Generator state is missing (null)");
        }
        set(state.s0(), state.s1(), state.s2(), state.s3());
    }

    /** A new generator with an independent stream, seeded from this one (advances this one once). */
    public Generator split() {
        return new Generator(nextLong());
    }

    /** Uniform 64 random bits (xoshiro256++). */
    public long nextLong() {
        long result = Long.rotateLeft(s0 + s3, 23) + s0;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform integer in [0, bound), unbiased (Lemire's multiply-and-reject). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new BkdException("Generator.nextInt: bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x100000000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform integer in [lo, hi). */
    public int nextInt(int lo, int hi) {
        if (hi <= lo) {
            throw new BkdException("Generator.nextInt: empty range [" + lo + ", " + hi + ")");
        }
        return lo + nextInt(hi - lo);
    }

    /** One standard-normal value (draws a Box-Muller pair and keeps the first). */
    public double nextGaussian() {
        double[] pair = new double[2];
        gaussianPair(pair);
        return pair[0];
    }

    /** {@code n} standard-normal values; pairs come from one Box-Muller draw, an odd tail drops its partner. */
    public float[] gaussians(int n) {
        float[] out = new float[n];
        double[] pair = new double[2];
        for (int i = 0; i < n; i += 2) {
            gaussianPair(pair);
            out[i] = (float) pair[0];
            if (i + 1 < n) {
                out[i + 1] = (float) pair[1];
            }
        }
        return out;
    }

    /** A float32 array of {@code shape} with standard-normal entries (row-major draw order). */
    @Override
    public NDArray randn(NDManager manager, Shape shape) {
        return manager.create(gaussians(checkedSize(shape)), shape);
    }

    /** A float32 array of {@code shape} uniform in [0, 1). */
    public NDArray rand(NDManager manager, Shape shape) {
        float[] out = new float[checkedSize(shape)];
        for (int i = 0; i < out.length; i++) {
            out[i] = nextFloat();
        }
        return manager.create(out, shape);
    }

    /** An int64 array of {@code shape} uniform in [lo, hi) (e.g. training timesteps). */
    public NDArray randint(NDManager manager, int lo, int hi, Shape shape) {
        long[] out = new long[checkedSize(shape)];
        for (int i = 0; i < out.length; i++) {
            out[i] = nextInt(lo, hi);
        }
        return manager.create(out, shape);
    }

    private void gaussianPair(double[] pair) {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log never sees 0
        double u2 = nextDouble();
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
        double theta = 2.0 * StrictMath.PI * u2;
        pair[0] = r * StrictMath.cos(theta);
        pair[1] = r * StrictMath.sin(theta);
    }

    private static int checkedSize(Shape shape) {
        long n = shape.size();
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new BkdException("Generator: cannot draw " + n + " values for shape " + shape);
        }
        return (int) n;
    }

    private void set(long a, long b, long c, long d) {
        if ((a | b | c | d) == 0) {
            throw new BkdException("Generator state is all zeros, which xoshiro256++ cannot leave");
        }
        s0 = a;
        s1 = b;
        s2 = c;
        s3 = d;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The complete generator state; {@link #toString()} / {@link #parse} round-trip it for checkpoints. */
    public record State(long s0, long s1, long s2, long s3) {
        /** "xoshiro256++:" followed by four 16-digit hex words. */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "xoshiro256++:%016x:%016x:%016x:%016x", s0, s1, s2, s3);
        }

        /** Parses {@link #toString()}; {@code where} names the source (e.g. a checkpoint file) in errors. */
        public static State parse(String text, String where) {
            String prefix = "xoshiro256++:";
            String[] parts = text == null || !text.startsWith(prefix) ? null : text.substring(prefix.length()).split(":");
            if (parts == null || parts.length != 4) {
                throw new BkdException(where + ": generator state must look like \"" + prefix
                        + "<16 hex>:<16 hex>:<16 hex>:<16 hex>\", found " + (text == null ? "nothing" : "\"" + text + "\""));
            }
            long[] w = new long[4];
            for (int i = 0; i < 4; i++) {
                if (parts[i].length() != 16) {
                    throw new BkdException(where + ": generator state word " + i + " must have 16 hex digits, found \""
                            + parts[i] + "\"");
                }
                try {
                    w[i] = Long.parseUnsignedLong(parts[i], 16);
                } catch (NumberFormatException e) {
                    throw new BkdException(where + ": generator state word " + i + " is not hex: \"" + parts[i] + "\"");
                }
            }
            if ((w[0] | w[1] | w[2] | w[3]) == 0) {
                throw new BkdException(where + ": generator state is all zeros (not a valid xoshiro256++ state)");
            }
            return new State(w[0], w[1], w[2], w[3]);
        }
    }
}
