package dev.bkd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.djl.Scalars;
import dev.bkd.models.vae.DiagonalGaussianDistribution;
import dev.bkd.train.loop.TrainingLoop;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code that can run under autograd must not call DJL's NDArray-by-Number ops ({@code x.mul(0.5f)}): they free
 * the scalar the backward pass still reads (see {@link Scalars}). Checked in the compiled classes of bkd-core,
 * bkd-models and bkd-train; only packages that never record gradients may use them.
 */
class NoUnsafeScalarOpsTest {
    /** Ops whose backward keeps the scalar operand. */
    private static final Set<String> OPS = Set.of("mul", "muli", "div", "divi", "pow", "powi", "maximum",
            "minimum", "rdiv", "rdivi", "clip");
    /** Class-name prefixes that only run without gradients (sampling; optimizer updates under no-grad). */
    private static final List<String> NO_GRAD = List.of("dev/bkd/models/schedulers/", "dev/bkd/models/pipeline/",
            "dev/bkd/train/optim/");

    @Test
    void trainableCodeUsesScalarsInsteadOfNumberOverloads() throws Exception {
        Set<String> offenders = new TreeSet<>();
        int scanned = 0;
        for (Class<?> anchor : List.of(Scalars.class, DiagonalGaussianDistribution.class, TrainingLoop.class)) {
            Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (FileSystem jar = Files.isDirectory(root) ? null
                    : FileSystems.newFileSystem(URI.create("jar:" + root.toUri()), Map.of());
                 Stream<Path> files = Files.walk(jar == null ? root : jar.getPath("/"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    scanned++;
                    for (String call : numberOps(f)) {
                        String cls = (jar == null ? root.relativize(f) : f).toString().replaceFirst("^/", "");
                        if (NO_GRAD.stream().noneMatch(cls::startsWith)) {
                            offenders.add(cls + " calls NDArray." + call + "(Number)");
                        }
                    }
                }
            }
        }
        assertTrue(scanned > 100, "found the compiled classes: " + scanned);
        assertEquals(Set.of(), offenders, "use dev.bkd.core.djl.Scalars.mul/div/clamp instead");
    }

    @Test
    void theScannerSeesANumberOverload() throws Exception {
        Path self = Path.of(NoUnsafeScalarOpsTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(Sample.class.getName().replace('.', '/') + ".class");
        assertEquals(List.of("mul"), numberOps(self));
    }

    /** Names of NDArray methods taking Number operands that {@code classFile} references. */
    static List<String> numberOps(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile); DataInputStream d = new DataInputStream(in)) {
            d.readInt();
            d.readUnsignedShort();
            d.readUnsignedShort();
            int n = d.readUnsignedShort();
            String[] utf8 = new String[n];
            int[] a = new int[n];
            int[] b = new int[n];
            int[] tag = new int[n];
            for (int i = 1; i < n; i++) {
                tag[i] = d.readUnsignedByte();
                switch (tag[i]) {
                    case 1 -> utf8[i] = d.readUTF();
                    case 7, 8, 16, 19, 20 -> a[i] = d.readUnsignedShort();
                    case 15 -> {
                        d.readUnsignedByte();
                        a[i] = d.readUnsignedShort();
                    }
                    case 3, 4 -> d.readInt();
                    case 5, 6 -> {
                        d.readLong();
                        i++; // 8-byte constants take two slots
                    }
                    case 9, 10, 11, 12, 17, 18 -> {
                        a[i] = d.readUnsignedShort();
                        b[i] = d.readUnsignedShort();
                    }
                    default -> throw new IOException(classFile + ": unknown constant-pool tag " + tag[i]);
                }
            }
            List<String> out = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                if ((tag[i] == 10 || tag[i] == 11) && "ai/djl/ndarray/NDArray".equals(utf8[a[a[i]]])) {
                    String name = utf8[a[b[i]]];
                    String desc = utf8[b[b[i]]];
                    if (OPS.contains(name) && desc.startsWith("(Ljava/lang/Number;")) {
                        out.add(name);
                    }
                }
            }
            return out;
        }
    }

    /** Holds exactly one unsafe call, for the scanner's own test. */
    static final class Sample {
        static ai.djl.ndarray.NDArray half(ai.djl.ndarray.NDArray x) {
            return x.mul(0.5f);
        }
    }
}
