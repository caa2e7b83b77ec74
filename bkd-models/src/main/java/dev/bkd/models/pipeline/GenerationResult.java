package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import dev.bkd.core.io.Leftovers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one {@link DiffusionPipeline#generate} call made, held in Java memory. Image {@code i} came from prompt
 * {@code i / imagesPerPrompt}; {@link #parameters()} says how each was made.
 *
 * @param images     8-bit RGB images, or empty when not asked for
 * @param image      the decoded images as floats in [0, 1], (batch, height, width, 3), or null
 * @param latents    the final latents (before 1/scaling_factor), or null
 * @param parameters one entry per image
 */
public record GenerationResult(List<BufferedImage> images, FloatTensor image, FloatTensor latents,
        List<GenerationParameters> parameters) {
    private static final Pattern NUMBERED = Pattern.compile("^(\\d{5})-.*\\.png$");

    public GenerationResult {
        images = List.copyOf(images);
        parameters = List.copyOf(parameters);
    }

    /**
     * Saves {@link #images()} into {@code folder} (created if needed) as {@code NNNNN-SEED.png}, numbering on
     * from the files already there so nothing is overwritten; each PNG carries its parameters in a
     * {@code parameters} text chunk. Returns the files written.
     */
    public List<Path> save(Path folder) {
        if (images.isEmpty()) {
            throw new BkdException("nothing to save: the request did not ask for OutputType.IMAGES");
        }
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new BkdException(folder + ": cannot create the output folder: " + e.getMessage(), e);
        }
        Leftovers.clean(folder, name -> NUMBERED.matcher(name).matches()); // PNGs of a killed earlier run
        int next = nextNumber(folder);
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            GenerationParameters p = parameters.get(i);
            Path file = folder.resolve(String.format("%05d-%s.png", next + i, Long.toUnsignedString(p.seed())));
            PngFiles.write(images.get(i), file, Map.of(GenerationParameters.PNG_KEY, p.toInfotext()));
            written.add(file);
        }
        return written;
    }

    private static int nextNumber(Path folder) {
        int max = -1;
        try (var files = Files.list(folder)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = NUMBERED.matcher(f.getFileName().toString());
                if (m.matches()) {
                    max = Math.max(max, Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new BkdException(folder + ": cannot list the output folder: " + e.getMessage(), e);
        }
        return max + 1;
    }
}
