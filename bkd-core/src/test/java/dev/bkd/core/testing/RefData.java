package dev.bkd.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The one way tests reach the shared reference data ({@code ../shared/reference/sd-tiny}).
 * It is located by walking up from the working directory (or set with {@code -Dbkd.reference=DIR} /
 * {@code BKD_REFERENCE}); a missing folder fails loudly instead of skipping tests.
 */
public final class RefData {
    private static final String REL = "shared/reference/sd-tiny";
    private static Path root;

    private RefData() {}

    /** The sd-tiny reference folder. */
    public static synchronized Path root() {
        if (root == null) {
            root = locate();
        }
        return root;
    }

    private static Path locate() {
        String override = System.getProperty("bkd.reference", System.getenv("BKD_REFERENCE"));
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (Files.isRegularFile(p.resolve("README.md"))) {
                return p;
            }
            throw new IllegalStateException("bkd.reference / BKD_REFERENCE points to " + p
                    + " but it has no README.md: expected the sd-tiny reference folder");
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(REL);
            if (Files.isRegularFile(candidate.resolve("README.md"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("Reference data not found: no " + REL
                + " in any parent of " + start
                + ". Tests need ../shared/reference/sd-tiny next to the project root"
                + " (or -Dbkd.reference=DIR).");
    }

    /**
     * Another reference data set next to {@code sd-tiny} ({@code checkpoints}, {@code prompts}, {@code eval},
     * {@code img2img}): {@code ../shared/reference/NAME}. Fails loudly, naming the folder, when it is missing.
     */
    public static Path dataset(String name) {
        Path p = root().getParent().resolve(name);
        if (!Files.isRegularFile(p.resolve("README.md"))) {
            throw new IllegalStateException("Reference data set missing: " + p
                    + " (expected ../shared/reference/" + name + " with its README.md next to sd-tiny)");
        }
        return p;
    }

    /** A file inside another reference data set, e.g. {@code file("checkpoints", "sd1/model.safetensors")}. */
    public static Path file(String dataset, String relative) {
        Path p = dataset(dataset).resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("Reference file missing: " + p);
        }
        return p;
    }

    /** The tiny SD1.x pipeline folder ({@code models/}). */
    public static Path models() {
        return root().resolve("models");
    }

    /** A file under {@code ref/}. */
    public static Path ref(String name) {
        Path p = root().resolve("ref").resolve(name);
        if (!Files.exists(p)) {
            throw new IllegalStateException("Reference file missing: " + p);
        }
        return p;
    }

    /** All tensors of a reference safetensors file, by name, attached to {@code manager}, read with bkd's own reader. */
    public static Map<String, NDArray> load(Path file, NDManager manager) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.loadAll(manager);
        }
    }

    /** Max absolute difference of two arrays of the same shape, in double. */
    public static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " != " + b.getShape());
        }
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                .sub(b.toType(ai.djl.ndarray.types.DataType.FLOAT64, false))
                .abs().max().getDouble();
    }
}
