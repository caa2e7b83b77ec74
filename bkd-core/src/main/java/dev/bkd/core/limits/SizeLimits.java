package dev.bkd.core.limits;

import dev.bkd.core.BkdException;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Upper bounds checked before work starts, so an absurd size is one clear line instead of a 30-line stack trace,
 * a hang, a raw {@link OutOfMemoryError} or the kernel's OOM killer: image sides (multiples of 8, at most
 * {@link #MAX_SIDE}), decoded image pixels (PIL's {@code Image.MAX_IMAGE_PIXELS}), and an estimate of the memory
 * the largest self-attention needs against the machine's physical memory.
 */
public final class SizeLimits {
    /** PIL's {@code Image.MAX_IMAGE_PIXELS} (decompression-bomb guard): 1024 * 1024 * 1024 // 4 // 3. */
    public static final long MAX_IMAGE_PIXELS = 1024L * 1024 * 1024 / 4 / 3;
    /** The largest width, height or training resolution bkd accepts (8x SD's 1024 native size of SDXL-class models). */
    public static final int MAX_SIDE = 8192;
    /** Bytes per float32 score in an attention matrix. */
    private static final long FLOAT_BYTES = 4;

    private SizeLimits() {}

    /** {@code option value}: a positive multiple of 8 no larger than {@link #MAX_SIDE}. */
    public static void checkSide(String option, long value) {
        if (value <= 0 || value % 8 != 0) {
            throw new SizeLimitException(option + " " + value + " must be a positive multiple of 8");
        }
        if (value > MAX_SIDE) {
            throw new SizeLimitException(option + " " + value + " is larger than the limit of " + MAX_SIDE
                    + " pixels; Stable Diffusion is trained at 512-1024");
        }
    }

    /** A decoded image of {@code width} x {@code height} must stay within {@link #MAX_IMAGE_PIXELS}. */
    public static void checkDecodedPixels(String what, long width, long height) {
        long pixels = width * height;
        if (pixels > MAX_IMAGE_PIXELS) {
            throw new SizeLimitException(String.format(Locale.ROOT, "%s is %dx%d = %,d pixels, more than the"
                    + " %,d-pixel limit for decoded images (PIL's MAX_IMAGE_PIXELS); resize it", what, width, height,
                    pixels, MAX_IMAGE_PIXELS));
        }
    }

    /**
     * Bytes of one float32 self-attention score matrix over a {@code latentHeight x latentWidth} latent for
     * {@code batch} rows: (h*w)^2 * 4 * batch. The UNet's first block attends over every latent position, so this
     * is a lower bound on what denoising needs at once.
     */
    public static double attentionBytes(long latentHeight, long latentWidth, long batch) {
        double tokens = (double) latentHeight * latentWidth;
        return tokens * tokens * FLOAT_BYTES * batch;
    }

    /** Refuses {@code bytes} (an estimate for {@code what}) larger than this machine's physical memory. */
    public static void requireMemory(double bytes, String what) {
        long physical = physicalMemory();
        if (physical > 0 && bytes > physical) {
            throw new SizeLimitException(String.format(Locale.ROOT, "%s needs at least %s of memory (one attention"
                    + " matrix over the latent), more than this machine's %s; choose a smaller size", what,
                    human(bytes), human(physical)));
        }
    }

    /** Total physical memory in bytes, or 0 when the JVM cannot tell. */
    public static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    private static String human(double bytes) {
        return bytes >= 1e12 ? String.format(Locale.ROOT, "%.3g TB", bytes / 1e12)
                : String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    /** A size beyond a limit; the message names the option or file and the limit. */
    public static final class SizeLimitException extends BkdException {
        public SizeLimitException(String message) {
            super(message);
        }
    }
}
