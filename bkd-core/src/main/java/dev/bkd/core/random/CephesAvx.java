package dev.bkd.core.random;

/**
 * float32 log and sincos exactly as torch's AVX2 build computes them for its normal fill: Cephes' polynomials
 * (via Pommier's {@code avx_mathfun.h}) with every multiply-then-add that GCC contracted into a fused multiply-add
 * written as {@link Math#fma(float, float, float)}. Plain float multiply and add, or libm functions, differ from
 * torch in the last bits (up to ~2e-6 in a normal sample), which a seed-parity test notices.
 */
final class CephesAvx {
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float[] LOG_P = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f,
        -1.2420140846E-1f, 1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f,
        3.3333331174E-1f};
    private static final float LOG_Q1 = -2.12194440e-4f;
    private static final float LOG_Q2 = 0.693359375f;

    private static final float MINUS_DP1 = -0.78515625f;
    private static final float MINUS_DP2 = -2.4187564849853515625e-4f;
    private static final float MINUS_DP3 = -3.77489497744594108e-8f;
    private static final float SIN_P0 = -1.9515295891E-4f;
    private static final float SIN_P1 = 8.3321608736E-3f;
    private static final float SIN_P2 = -1.6666654611E-1f;
    private static final float COS_P0 = 2.443315711809948E-005f;
    private static final float COS_P1 = -1.388731625493765E-003f;
    private static final float COS_P2 = 4.166664568298827E-002f;
    private static final float FOUR_OVER_PI = 1.27323954473516f;

    private CephesAvx() {}

    /** Natural log for x in (0, 1] (the Box-Muller radius input); NaN for x <= 0 as in torch. */
    static float log(float x) {
        if (!(x > 0f)) {
            return Float.NaN;
        }
        x = Math.max(x, Float.MIN_NORMAL);
        int bits = Float.floatToRawIntBits(x);
        float e = (float) ((bits >>> 23) - 0x7f) + 1f;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
        // x in [0.5, 1): below sqrt(1/2) use 2x - 1 and one exponent less, as Cephes does
        boolean small = x < SQRT_HALF;
        float tmp = small ? x : 0f;
        x = x - 1f;
        e = e - (small ? 1f : 0f);
        x = x + tmp;
        float z = x * x;
        float y = LOG_P[0];
        for (int i = 1; i < LOG_P.length; i++) {
            y = Math.fma(y, x, LOG_P[i]);
        }
        y = y * x;
        y = Math.fma(y, z, e * LOG_Q1);
        y = Math.fma(-z, 0.5f, y);
        x = x + y;
        return Math.fma(e, LOG_Q2, x);
    }

    /**
     * sin and cos of one float as {@code sincos256_ps} gives them: the cosine's bits in the low 32 bits, the
     * sine's in the high 32 bits.
     */
    static long sincos(float x) {
        int signSin = Float.floatToRawIntBits(x) & 0x80000000;
        x = Math.abs(x);
        int j = (int) (x * FOUR_OVER_PI);
        j = (j + 1) & ~1;
        float y = j;
        int swapSin = (j & 4) << 29;
        int signCos = (~(j - 2) & 4) << 29;
        boolean cosPolyForCos = (j & 2) == 0;
        signSin ^= swapSin;
        // extended-precision reduction x - y*pi/4 in three parts
        x = Math.fma(y, MINUS_DP1, x);
        x = Math.fma(y, MINUS_DP2, x);
        x = Math.fma(y, MINUS_DP3, x);
        float z = x * x;
        float yc = Math.fma(COS_P0, z, COS_P1);
        yc = Math.fma(yc, z, COS_P2);
        yc = yc * z;
        yc = Math.fma(yc, z, -(z * 0.5f));
        yc = yc + 1f;
        float ys = Math.fma(SIN_P0, z, SIN_P1);
        ys = Math.fma(ys, z, SIN_P2);
        ys = ys * z;
        ys = Math.fma(ys, x, x);
        float sin = cosPolyForCos ? ys : yc;
        float cos = cosPolyForCos ? yc : ys;
        int sinBits = Float.floatToRawIntBits(sin + 0f) ^ signSin;
        int cosBits = Float.floatToRawIntBits(cos + 0f) ^ signCos;
        return ((long) sinBits << 32) | (cosBits & 0xFFFFFFFFL);
    }
}
