package dev.bkd.models.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * The metrics of a set of pictures: CLIP score against their captions, FID (Inception pool3) and FD-CLIP (CLIP
 * image embeddings) against another set. Either model may be absent; its metrics are then null. Pictures are read
 * a chunk at a time, so only features stay in memory (30K-image protocols).
 */
public final class ImageMetrics implements AutoCloseable {
    /** File extensions read as pictures. */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

    private final ClipFeatures clip;
    private final InceptionFeatures inception;
    private final int chunk;

    /** Features of one picture set; a field is null when its model is absent. */
    public record Features(float[][] clip, float[][] inception) {
        public int count() {
            return clip != null ? clip.length : inception != null ? inception.length : 0;
        }
    }

    public ImageMetrics(ClipFeatures clip, InceptionFeatures inception, int chunk) {
        this.clip = clip;
        this.inception = inception;
        this.chunk = Math.max(1, chunk);
    }

    public boolean hasClip() {
        return clip != null;
    }

    public boolean hasInception() {
        return inception != null;
    }

    /** The pictures of a folder (not recursive), sorted by name. */
    public static List<Path> listImages(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ImageFileException(folder + ": not a folder of images");
        }
        try (Stream<Path> s = Files.list(folder)) {
            List<Path> out = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                int dot = n.lastIndexOf('.');
                return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1));
            }).sorted().toList();
            if (out.isEmpty()) {
                throw new ImageFileException(folder + ": holds no pictures (" + IMAGE_EXTENSIONS + ")");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot list: " + e.getMessage(), e);
        }
    }

    /** Features of {@code files}; {@code progress} hears the number of pictures done so far. */
    public Features features(List<Path> files, IntConsumer progress) {
        float[][] c = clip == null ? null : new float[files.size()][];
        float[][] f = inception == null ? null : new float[files.size()][];
        for (int start = 0; start < files.size(); start += chunk) {
            List<RgbImage> images = new ArrayList<>();
            for (Path p : files.subList(start, Math.min(files.size(), start + chunk))) {
                images.add(RgbImage.read(p));
            }
            if (c != null) {
                System.arraycopy(clip.imageEmbeddings(images), 0, c, start, images.size());
            }
            if (f != null) {
                System.arraycopy(inception.features(images), 0, f, start, images.size());
            }
            if (progress != null) {
                progress.accept(start + images.size());
            }
        }
        return new Features(c, f);
    }

    /** torchmetrics' CLIP score (0–100) of the pictures against one caption each; null without CLIP. */
    public Double clipScore(Features images, List<String> captions) {
        if (clip == null || images.clip() == null) {
            return null;
        }
        return new ClipScore().update(ClipScore.pairScores(images.clip(), clip.textEmbeddings(captions))).compute();
    }

    /** FID between two sets; null without the Inception weights. */
    public Double fid(Features a, Features b) {
        return a.inception() == null || b.inception() == null ? null
                : FrechetDistance.between(a.inception(), b.inception());
    }

    /** FD-CLIP between two sets; null without CLIP. */
    public Double fdClip(Features a, Features b) {
        return a.clip() == null || b.clip() == null ? null : FrechetDistance.between(a.clip(), b.clip());
    }

    @Override
    public void close() {
        if (clip != null) {
            clip.close();
        }
        if (inception != null) {
            inception.close();
        }
    }
}
