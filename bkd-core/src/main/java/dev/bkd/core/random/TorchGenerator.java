package dev.bkd.core.random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.BkdException;
import java.util.List;

/**
 * Bit-for-bit the numbers of {@code torch.Generator("cpu").manual_seed(seed)} on an x86 build with AVX2 (the
 * official wheels on PCs and servers; AVX-512 gives the same numbers), so a seed copied from Python gives the same
 * noise, and therefore the same image, in bkd.
 *
 * <p>What torch does, and this class repeats:
 * <ul>
 *   <li>Engine: 32-bit MT19937 seeded with the low 32 bits of the seed ({@code init_genrand}); a 64-bit draw is
 *       {@code (first << 32) | second}.
 *   <li>{@link #rand}: {@code (next32 & 0xFFFFFF) * 2^-24}; {@link #randint}: {@code lo + next32 % (hi - lo)}.
 *   <li>{@link #randn} below 16 elements: a double Box-Muller per element with a one-value cache kept in the
 *       generator across calls (the sine half waits for the next small draw); {@code manualSeed} clears it.
 *   <li>{@link #randn} of 16 or more: all n float uniforms first, then Box-Muller on blocks of 16 (pairs j, j+8)
 *       in float32 with Cephes' polynomial log/sin/cos as GCC compiles {@code avx_mathfun.h}: each
 *       multiply-then-add it contracted into one fused multiply-add, which {@link Math#fma(float, float, float)}
 *       reproduces exactly. A tail that is not a multiple of 16 redraws 16 uniforms into the last 16 slots and
 *       transforms that (overlapping) block again. The scalar cache is neither used nor cleared.
 * </ul>
 * torch's non-SIMD build ({@code ATEN_CPU_CAPABILITY=default}) uses glibc's logf/sinf/cosf instead and differs in
 * the last bits (at most 2e-6) for 16+ elements; that variant is not reproduced.
 *
 * <p>Not thread-safe: one generator per image or per consumer, as in torch.
 */
public final class TorchGenerator implements NoiseSource {
    private static final int N = 624;
    private static final int M = 397;
    /** The block size of torch's vectorised normal fill. */
    public static final int VECTOR_BLOCK = 16;

    private final int[] mt = new int[N];
    private int index;
    private long seed;
    private boolean hasCachedNormal;
    private double cachedNormal;

    /** {@code torch.Generator("cpu").manual_seed(seed)}. */
    public TorchGenerator(long seed) {
        manualSeed(seed);
    }

    /** Reseeds like {@code manual_seed}: only the low 32 bits count, and the normal cache is cleared. */
    public TorchGenerator manualSeed(long seed) {
        this.seed = seed;
        int s = (int) seed;
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            int prev = mt[i - 1];
            mt[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
        index = N;
        hasCachedNormal = false;
        return this;
    }

    /** The seed given to the constructor or the last {@link #manualSeed}, as torch's {@code initial_seed()}. */
    public long initialSeed() {
        return seed;
    }

    /** The next 32-bit MT19937 output, unsigned in a long. */
    public long nextUInt32() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xFFFFFFFFL;
    }

    /** torch's {@code random64()}: two 32-bit outputs, the first in the high half. */
    public long nextLong() {
        long hi = nextUInt32();
        return (hi << 32) | nextUInt32();
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
            int v = mt[(i + M) % N] ^ (y >>> 1);
            mt[i] = (y & 1) != 0 ? v ^ 0x9908b0df : v;
        }
        index = 0;
    }

    /** torch's {@code uniform_real_distribution<float>(0, 1)}: 24 random bits. */
    public float nextFloat() {
        return (nextUInt32() & 0xFFFFFF) * 0x1.0p-24f;
    }

    /** torch's {@code uniform_real_distribution<double>(0, 1)}: 53 random bits of a 64-bit draw. */
    public double nextDouble() {
        return (nextLong() & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    /** One value of torch's scalar {@code normal_distribution<double>} (the path of draws below 16 elements). */
    public double nextNormalDouble() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextDouble();
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * StrictMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * StrictMath.sin(theta);
        hasCachedNormal = true;
        return r * StrictMath.cos(theta);
    }

    /** {@code torch.randn(n, generator=this)} as float32 values. */
    public float[] randn(int n) {
        if (n < 0) {
            throw new BkdException("TorchGenerator.randn: negative size " + n);
        }
        float[] out = new float[n];
        if (n < VECTOR_BLOCK) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) nextNormalDouble();
            }
            return out;
        }
        for (int i = 0; i < n; i++) {
            out[i] = nextFloat();
        }
        for (int i = 0; i + VECTOR_BLOCK <= n; i += VECTOR_BLOCK) {
            boxMuller16(out, i);
        }
        if (n % VECTOR_BLOCK != 0) {
            int start = n - VECTOR_BLOCK;
            for (int i = start; i < n; i++) {
                out[i] = nextFloat();
            }
            boxMuller16(out, start);
        }
        return out;
    }

    /** {@code torch.rand(n, generator=this)}: float32 uniforms in [0, 1). */
    public float[] rand(int n) {
        float[] out = new float[checkedSize(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = nextFloat();
        }
        return out;
    }

    /** {@code torch.randint(lo, hi, (n,), generator=this)}: {@code lo + next32 % (hi - lo)}. */
    public long[] randint(long lo, long hi, int n) {
        long range = hi - lo;
        if (range <= 0 || range > 0xFFFFFFFFL) {
            throw new BkdException("TorchGenerator.randint: range [" + lo + ", " + hi
                    + ") must be non-empty and narrower than 2^32 (torch's 64-bit path is not reproduced)");
        }
        long[] out = new long[checkedSize(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = lo + nextUInt32() % range;
        }
        return out;
    }

    /** {@code torch.randn(shape, generator=this)} as a float32 array on {@code manager}'s device. */
    @Override
    public NDArray randn(NDManager manager, Shape shape) {
        return manager.create(randn(checkedSize(shape)), shape);
    }

    /** {@code torch.rand(shape, generator=this)}. */
    public NDArray rand(NDManager manager, Shape shape) {
        return manager.create(rand(checkedSize(shape)), shape);
    }

    /**
     * diffusers' {@code randn_tensor(shape, generator=[g0, g1, ...])}: one generator per batch row, each drawing
     * {@code randn((1, *shape[1:]))}, concatenated. With one generator for the whole batch use {@link #randn}; the
     * two give different numbers (as in diffusers).
     */
    public static NDArray randnTensor(List<TorchGenerator> generators, NDManager manager, Shape shape) {
        return new PerImageNoise(generators).randn(manager, shape);
    }

    private static int checkedSize(Shape shape) {
        long n = shape.size();
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new BkdException("TorchGenerator: cannot draw " + n + " values for shape " + shape);
        }
        return (int) n;
    }

    private static int checkedSize(int n) {
        if (n < 0) {
            throw new BkdException("TorchGenerator: negative size " + n);
        }
        return n;
    }

    // ------------------------------------------------------------ torch's normal_fill_16_AVX2, lane by lane

    private static final float TWO_PI = (float) (2.0 * Math.PI);

    private static void boxMuller16(float[] d, int at) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - d[at + j];
            float u2 = d[at + j + 8];
            float radius = (float) Math.sqrt(-2f * CephesAvx.log(u1));
            float theta = TWO_PI * u2;
            long sc = CephesAvx.sincos(theta);
            // torch stores fmadd(n, std = 1, mean = 0): the same value, except that -0 becomes +0
            d[at + j] = radius * Float.intBitsToFloat((int) sc) + 0f;
            d[at + j + 8] = radius * Float.intBitsToFloat((int) (sc >>> 32)) + 0f;
        }
    }
}
