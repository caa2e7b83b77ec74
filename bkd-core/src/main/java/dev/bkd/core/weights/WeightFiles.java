package dev.bkd.core.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds a diffusers pipeline component's weight file, by the names diffusers and transformers save. */
public final class WeightFiles {
    private static final Logger LOG = LoggerFactory.getLogger(WeightFiles.class);

    /** diffusers models, then transformers models (text encoders); index and single file forms. */
    private static final List<String> SAFE_NAMES = List.of(
            "diffusion_pytorch_model.safetensors.index.json",
            "diffusion_pytorch_model.safetensors",
            "model.safetensors",
            "model.safetensors.index.json");
    private static final List<String> PICKLE_NAMES = List.of(
            "diffusion_pytorch_model.bin.index.json",
            "diffusion_pytorch_model.bin",
            "pytorch_model.bin",
            "pytorch_model.bin.index.json");

    private WeightFiles() {}

    /**
     * The weight file of {@code componentDir} (e.g. {@code .../unet}) for {@code variant} (e.g. "fp16"; null or
     * blank for the default), named like diffusers' {@code _add_variant}: {@code diffusion_pytorch_model.fp16
     * .safetensors}, {@code model.safetensors.index.fp16.json}. A missing variant falls back to the default
     * weights with a warning; a folder with only a torch pickle ({@code diffusion_pytorch_model.bin},
     * {@code pytorch_model.bin}) gives that file, which {@link StateDicts#open} reads weights-only; a sharded
     * pickle is refused; nothing found lists what was looked for.
     */
    public static Path resolve(Path componentDir, String variant) {
        if (!Files.isDirectory(componentDir)) {
            throw new WeightFileException(componentDir + ": not a folder (expected a pipeline component folder"
                    + " such as unet/ holding diffusion_pytorch_model.safetensors)");
        }
        boolean hasVariant = variant != null && !variant.isBlank();
        List<String> looked = new ArrayList<>();
        if (hasVariant) {
            Path found = firstExisting(componentDir, withVariant(SAFE_NAMES, variant), looked);
            if (found != null) {
                return found;
            }
        }
        Path found = firstExisting(componentDir, SAFE_NAMES, looked);
        if (found != null) {
            if (hasVariant) {
                LOG.warn("{}: no '{}' variant weights (looked for {}); using the default weights {} instead",
                        componentDir, variant, String.join(", ", withVariant(SAFE_NAMES, variant)),
                        found.getFileName());
            }
            return found;
        }
        List<Path> pickles = pickles(componentDir, hasVariant ? variant : null);
        if (!pickles.isEmpty()) {
            Path p = pickles.get(0);
            String n = p.getFileName().toString();
            if (n.endsWith(".json")) {
                throw new PickleCheckpointException(p);
            }
            if (!PICKLE_NAMES.contains(n) && !(hasVariant && withVariant(PICKLE_NAMES, variant).contains(n))) {
                throw new WeightFileException(componentDir + ": no weights under a name diffusers/transformers"
                        + " save (looked for " + String.join(", ", looked) + ", " + String.join(", ", PICKLE_NAMES)
                        + "); it holds " + listing(componentDir) + ". Rename the weight file to one of those.");
            }
            if (hasVariant && !n.contains("." + variant + ".")) {
                LOG.warn("{}: no '{}' variant weights; using {} instead", componentDir, variant, p.getFileName());
            }
            return p;
        }
        throw new WeightFileException(componentDir + ": no safetensors weights found; looked for "
                + String.join(", ", looked) + ". The folder holds: " + listing(componentDir));
    }

    /** diffusers' {@code _add_variant}: the variant goes before the last extension. */
    static String addVariant(String name, String variant) {
        int dot = name.lastIndexOf('.');
        return name.substring(0, dot) + "." + variant + name.substring(dot);
    }

    private static List<String> withVariant(List<String> names, String variant) {
        return names.stream().map(n -> addVariant(n, variant)).toList();
    }

    private static Path firstExisting(Path dir, List<String> names, List<String> looked) {
        for (String n : names) {
            looked.add(n);
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return p;
            }
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new WeightFileException(p + ": " + whyNotAFile(p)); // else "not found" while listing it
            }
        }
        return null;
    }

    /** Why an existing entry under a weight file's name cannot be read as one. */
    private static String whyNotAFile(Path p) {
        if (Files.isDirectory(p)) {
            return "is a folder, not a weight file";
        }
        if (Files.isSymbolicLink(p)) {
            try {
                p.toRealPath();
            } catch (IOException e) {
                String reason = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                        ? fs.getReason() : e.getClass().getSimpleName();
                return "is a symbolic link that does not lead to a file (" + reason + "); fix or replace the link";
            }
        }
        return "is not a regular file";
    }

    /** Known pickle names first (variant, then default), then any other pickle-looking file. */
    private static List<Path> pickles(Path dir, String variant) {
        List<Path> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (variant != null) {
            names.addAll(withVariant(PICKLE_NAMES, variant));
        }
        names.addAll(PICKLE_NAMES);
        for (String n : names) {
            if (Files.isRegularFile(dir.resolve(n))) {
                out.add(dir.resolve(n));
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isRegularFile).filter(PickleCheckpointException::isPickle).sorted()
                    .filter(p -> !out.contains(p)).forEach(out::add);
        } catch (IOException e) {
            // the listing only improves the message
        }
        return out;
    }

    private static String listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            if (names.isEmpty()) {
                return "nothing (empty folder)";
            }
            int max = 20;
            return String.join(", ", names.subList(0, Math.min(max, names.size())))
                    + (names.size() > max ? ", ... (" + names.size() + " entries)" : "");
        } catch (IOException e) {
            return "(cannot list: " + e + ")";
        }
    }
}
