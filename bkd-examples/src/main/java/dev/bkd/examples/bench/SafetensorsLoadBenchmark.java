package dev.bkd.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads every tensor of a safetensors file, keeping them all alive like a model load does, and prints the
 * load time and the peak RSS (VmHWM) against the file size; the target is RSS <= 1.2x the file.
 * Usage: {@code SafetensorsLoadBenchmark [file.safetensors]}. Without a file it writes a ~3.4 GB FP32 file
 * with SD1.5-UNet tensor shapes to a temp folder (in a child JVM, so writing does not count toward this
 * process's peak), loads it, and deletes it. Run with a small heap (-Xmx2g): no tensor data lives there.
 */
public final class SafetensorsLoadBenchmark {
    private SafetensorsLoadBenchmark() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        if (args.length == 2 && args[0].equals("--write")) {
            writeUnetLike(Path.of(args[1]));
            return;
        }
        Path file = args.length > 0 ? Path.of(args[0]) : null;
        Path tmpDir = null;
        try {
            if (file == null) {
                tmpDir = Files.createTempDirectory("bkd-st-bench");
                file = tmpDir.resolve("unet_sd15_like.safetensors");
                generateInChildJvm(file);
            }
            run(file);
        } finally {
            if (tmpDir != null) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(tmpDir);
            }
        }
    }

    private static void run(Path file) throws IOException {
        long fileSize = Files.size(file);
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.create(0f).close(); // engine up before the baseline
            long baseRss = ProcStatus.kiB("VmRSS").orElse(-1);
            long t0 = System.nanoTime();
            List<NDArray> kept = new ArrayList<>();
            long loadedBytes = 0;
            try (SafetensorsFile sf = SafetensorsFile.open(file)) {
                long tOpen = System.nanoTime();
                for (SafetensorsEntry e : sf.entries()) {
                    NDArray a = sf.load(e.name(), manager);
                    loadedBytes += a.getShape().size() * a.getDataType().getNumOfBytes();
                    kept.add(a);
                }
                long t1 = System.nanoTime();
                long hwm = ProcStatus.kiB("VmHWM").orElse(-1);
                long rss = ProcStatus.kiB("VmRSS").orElse(-1);
                Runtime rt = Runtime.getRuntime();
                System.gc();
                long heapUsed = rt.totalMemory() - rt.freeMemory();
                double mb = 1024.0 * 1024.0;
                System.out.printf("file            %s%n", file);
                System.out.printf("file size       %.1f MB, %d tensors, %.1f MB loaded into NDArrays%n",
                        fileSize / mb, kept.size(), loadedBytes / mb);
                System.out.printf("header parse    %.1f ms%n", (tOpen - t0) / 1e6);
                System.out.printf("load all        %.2f s (%.0f MB/s)%n", (t1 - t0) / 1e9,
                        loadedBytes / mb / ((t1 - t0) / 1e9));
                System.out.printf("RSS baseline    %.1f MB (JVM + libtorch, before loading)%n", baseRss / 1024.0);
                System.out.printf("RSS now / peak  %.1f MB / %.1f MB (VmRSS / VmHWM)%n", rss / 1024.0, hwm / 1024.0);
                System.out.printf("peak RSS / file %.3f (target <= 1.2); (peak - baseline) / file %.3f%n",
                        hwm * 1024.0 / fileSize, (hwm - baseRss) * 1024.0 / fileSize);
                System.out.printf("Java heap used  %.1f MB of max %.0f MB%n", heapUsed / mb, rt.maxMemory() / mb);
            }
        }
    }

    private static void generateInChildJvm(Path file) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                SafetensorsLoadBenchmark.class.getName(), "--write", file.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("writing the benchmark file failed (exit " + p.exitValue() + ")");
        }
    }

    /** SD1.5 UNet shapes (320/640/1280/1280 channels, 2 layers per block, cross-attention dim 768), random data. */
    private static void writeUnetLike(Path file) {
        Map<String, Shape> shapes = UnetShapes.sd15();
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(0);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            shapes.forEach((name, shape) -> tensors.put(name, m.randomUniform(-1f, 1f, shape)));
            long t1 = System.nanoTime();
            SafetensorsWriter.write(file, tensors);
            long t2 = System.nanoTime();
            long params = shapes.values().stream().mapToLong(Shape::size).sum();
            System.out.printf("wrote %s: %d tensors, %.1fM parameters (generate %.1f s, write %.1f s)%n", file,
                    shapes.size(), params / 1e6, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
    }

   /** Names and shapes of the SD1.5 UNet2DConditionModel state dict, generated from its config. */
    static final class UnetShapes {
        private static final int TIME = 1280;
        private static final int CROSS = 768;
        private final Map<String, Shape> out = new LinkedHashMap<>();

        static Map<String, Shape> sd15() {
            UnetShapes u = new UnetShapes();
            int[] ch = {320, 640, 1280, 1280};
            u.conv("conv_in", ch[0], 4, 3);
            u.linear("time_embedding.linear_1", TIME, ch[0]);
            u.linear("time_embedding.linear_2", TIME, TIME);
            int in = ch[0];
            for (int i = 0; i < 4; i++) {
                boolean attn = i < 3;
                for (int j = 0; j < 2; j++) {
                    u.resnet("down_blocks." + i + ".resnets." + j, j == 0 ? in : ch[i], ch[i]);
                    if (attn) {
                        u.transformer("down_blocks." + i + ".attentions." + j, ch[i]);
                    }
                }
                if (i < 3) {
                    u.conv("down_blocks." + i + ".downsamplers.0.conv", ch[i], ch[i], 3);
                }
                in = ch[i];
            }
            u.resnet("mid_block.resnets.0", 1280, 1280);
            u.transformer("mid_block.attentions.0", 1280);
            u.resnet("mid_block.resnets.1", 1280, 1280);
            int[] rev = {1280, 1280, 640, 320};
            int prev = rev[0];
            for (int i = 0; i < 4; i++) {
                int outCh = rev[i];
                int inCh = rev[Math.min(i + 1, 3)];
                for (int j = 0; j < 3; j++) {
                    int skip = j == 2 ? inCh : outCh;
                    int resIn = j == 0 ? prev : outCh;
                    u.resnet("up_blocks." + i + ".resnets." + j, resIn + skip, outCh);
                    if (i > 0) {
                        u.transformer("up_blocks." + i + ".attentions." + j, outCh);
                    }
                }
                if (i < 3) {
                    u.conv("up_blocks." + i + ".upsamplers.0.conv", outCh, outCh, 3);
                }
                prev = outCh;
            }
            u.norm("conv_norm_out", ch[0]);
            u.conv("conv_out", 4, ch[0], 3);
            return u.out;
        }

        private void conv(String n, int o, int i, int k) {
            out.put(n + ".weight", new Shape(o, i, k, k));
            out.put(n + ".bias", new Shape(o));
        }

        private void linear(String n, int o, int i) {
            out.put(n + ".weight", new Shape(o, i));
            out.put(n + ".bias", new Shape(o));
        }

        private void norm(String n, int c) {
            out.put(n + ".weight", new Shape(c));
            out.put(n + ".bias", new Shape(c));
        }

        private void resnet(String n, int i, int o) {
            norm(n + ".norm1", i);
            conv(n + ".conv1", o, i, 3);
            linear(n + ".time_emb_proj", o, TIME);
            norm(n + ".norm2", o);
            conv(n + ".conv2", o, o, 3);
            if (i != o) {
                conv(n + ".conv_shortcut", o, i, 1);
            }
        }

        private void transformer(String n, int c) {
            norm(n + ".norm", c);
            conv(n + ".proj_in", c, c, 1);
            String b = n + ".transformer_blocks.0";
            norm(b + ".norm1", c);
            for (String p : new String[] {"to_q", "to_k", "to_v"}) {
                out.put(b + ".attn1." + p + ".weight", new Shape(c, c));
            }
            linear(b + ".attn1.to_out.0", c, c);
            norm(b + ".norm2", c);
            out.put(b + ".attn2.to_q.weight", new Shape(c, c));
            out.put(b + ".attn2.to_k.weight", new Shape(c, CROSS));
            out.put(b + ".attn2.to_v.weight", new Shape(c, CROSS));
            linear(b + ".attn2.to_out.0", c, c);
            norm(b + ".norm3", c);
            linear(b + ".ff.net.0.proj", 8 * c, c);
            linear(b + ".ff.net.2", c, 4 * c);
            conv(n + ".proj_out", c, c, 1);
        }
    }
}
