package dev.bkd.core.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a use-after-free of Java-owned tensor memory visible: collects unreachable direct buffers (DJL backs
 * tensors made from Java data with them), then reallocates many small ones full of NaN so that freed memory
 * no longer holds its old values.
 */
public final class DirectMemoryChurn {
    private DirectMemoryChurn() {}

    public static void run() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(50); // the Cleaner thread frees the collected buffers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<ByteBuffer> keep = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 << (i % 8)).order(ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                keep.add(b);
            }
            keep.clear();
        }
    }
}
