package dev.bkd.core.safetensors;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases a file mapping as soon as its bytes are copied. Java 17 has no public unmap; without one the
 * mapped pages stay in the process (and in its RSS) until a GC happens to collect the buffer, so loading a
 * 3.4 GB model would briefly cost twice its size. {@code sun.misc.Unsafe.invokeCleaner} (module
 * jdk.unsupported) unmaps now; if it is unavailable we fall back to the GC. Only call this on a buffer that
 * nothing else references: touching it afterwards would read unmapped memory.
 */
final class MappedRegions {
    private static final Logger LOG = LoggerFactory.getLogger(MappedRegions.class);
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method clean = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            clean = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("explicit unmap unavailable, mappings are released by the GC: {}", e.toString());
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = clean;
    }

    private MappedRegions() {}

    static void unmap(MappedByteBuffer buffer) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("unmap failed, left to the GC: {}", e.toString());
        }
    }
}
