package dev.bkd.train.shapes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DatasetOptions;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * Writes the demo's captioned shapes as a Hugging Face imagefolder that {@link CaptionedDataset} reads:
 * {@code images/NNNNNN.png} plus {@code metadata.jsonl} rows {@code {"file_name", "text", "shape", "colour",
 * "background"}}, and {@code shapes.json} recording the spec so a later run can tell it may reuse the folder.
 */
public final class ShapesDataset {
    public static final String SPEC_FILE = "shapes.json";
    /** Bump when drawing changes, so folders drawn by older code are not reused. */
    static final int VERSION = 1;

    /** What to draw: {@code count} images of {@code size} x {@code size} pixels from {@code seed}. */
    public record Spec(int count, int size, long seed) {
        public Spec {
            if (count < 1) {
                throw new BkdException("--count must be at least 1, got " + count);
            }
            if (size < 16 || size > 1024) {
                throw new BkdException("--size must be between 16 and 1024 pixels, got " + size);
            }
        }
    }

    private ShapesDataset() {}

    /**
     * Writes the folder unless it already holds this spec (returns false then). Another non-empty {@code out} is
     * refused unless {@code force}.
     */
    public static boolean write(Path out, Spec spec, boolean force) {
        if (read(out).filter(spec::equals).isPresent()) {
            return false;
        }
        try (AtomicFolder folder = AtomicFolder.begin(out, force)) {
            Path dir = folder.dir();
            Path images = Files.createDirectories(dir.resolve("images"));
            List<Scene> scenes = Scenes.sample(spec.count(), spec.size(), spec.seed());
            try (BufferedWriter meta = Files.newBufferedWriter(dir.resolve(CaptionedDataset.METADATA_JSONL),
                    StandardCharsets.UTF_8)) {
                for (int i = 0; i < scenes.size(); i++) {
                    Scene s = scenes.get(i);
                    String name = String.format("%06d.png", i);
                    writePng(s.render(spec.size()), images.resolve(name));
                    ObjectNode row = ConfigReader.MAPPER.createObjectNode();
                    row.put(DatasetOptions.FILE_NAME, "images/" + name);
                    row.put("text", s.caption());
                    row.put("shape", s.kind().word());
                    row.put("colour", s.colour().word());
                    row.put("background", s.background().word());
                    meta.write(ConfigReader.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(row));
                    meta.write('\n');
                }
            }
            ObjectNode manifest = ConfigReader.MAPPER.createObjectNode();
            manifest.put("version", VERSION);
            manifest.put("count", spec.count());
            manifest.put("size", spec.size());
            manifest.put("seed", spec.seed());
            Files.writeString(dir.resolve(SPEC_FILE), ConfigReader.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(manifest) + "\n");
            folder.commit();
            return true;
        } catch (IOException e) {
            throw new BkdException("cannot write the shapes data to " + out + ": " + e.getMessage(), e);
        }
    }

    /** Writes (or reuses) {@code count} images of {@code size} px from {@code seed} in {@code out}; returns {@code out}. */
    public static Path folder(Path out, int count, int size, long seed) {
        write(out, new Spec(count, size, seed), false);
        return out;
    }

    /** The spec a complete folder written by this version holds, if any. */
    public static Optional<Spec> read(Path out) {
        Path file = out.resolve(SPEC_FILE);
        if (!Files.isRegularFile(file) || !Files.isRegularFile(out.resolve(CaptionedDataset.METADATA_JSONL))) {
            return Optional.empty();
        }
        try {
            JsonNode n = ConfigReader.MAPPER.readTree(file.toFile());
            if (n.path("version").asInt() != VERSION) {
                return Optional.empty();
            }
            return Optional.of(new Spec(n.path("count").asInt(), n.path("size").asInt(), n.path("seed").asLong()));
        } catch (IOException | BkdException e) {
            return Optional.empty();
        }
    }

    /** Writes 8-bit RGB pixels as a PNG. */
    public static void writePng(dev.bkd.train.data.Images.Rgb img, Path file) throws IOException {
        if (!ImageIO.write(toImage(img), "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /** The pixels as a BufferedImage. */
    public static BufferedImage toImage(dev.bkd.train.data.Images.Rgb img) {
        BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        int[] rgb = img.rgb();
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int o = (y * img.width() + x) * 3;
                b.setRGB(x, y, (rgb[o] << 16) | (rgb[o + 1] << 8) | rgb[o + 2]);
            }
        }
        return b;
    }
}
