package dev.bkd.train.distill;

import dev.bkd.core.BkdException;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a diffusers pipeline folder around a trained student: the student's {@code unet/} (its own config.json),
 * the teacher's other components copied byte for byte, and the teacher's model_index.json, written last. Each
 * component lands in a temp folder first and is renamed into place, so a folder under its final name is complete.
 */
public final class StudentPipeline {
    private StudentPipeline() {}

    public static void write(Path teacherPipeline, UNet2DConditionModel student, Path out) {
        write(teacherPipeline, "unet", student::save, out);
    }

    /** Writes one component's folder. */
    public interface ComponentWriter {
        void into(Path dir) throws IOException;
    }

    /** The same for any component: {@code component} written by {@code writer}, the rest copied from {@code base}. */
    public static void write(Path teacherPipeline, String component, ComponentWriter writer, Path out) {
        Path indexFile = teacherPipeline.resolve("model_index.json");
        ModelIndex index = ModelIndex.read(indexFile);
        try {
            Files.createDirectories(out);
            for (Map.Entry<String, ModelIndex.Component> e : index.components().entrySet()) {
                String name = e.getKey();
                if (e.getValue().isDisabled() || name.equals(component)) {
                    continue;
                }
                Path src = teacherPipeline.resolve(name);
                if (!Files.isDirectory(src)) {
                    throw new BkdException(indexFile + " lists component `" + name + "` but there is no folder " + src);
                }
                place(out, name, tmp -> copyTree(src, tmp));
            }
            place(out, component, writer::into);
            AtomicFiles.writeString(out.resolve("model_index.json"), Files.readString(indexFile));
        } catch (IOException e) {
            throw new BkdException("cannot write the student pipeline to " + out + ": " + e.getMessage(), e);
        }
    }

    /** Fills a hidden temp folder, then swaps it in for {@code out/name}. */
    private static void place(Path out, String name, ComponentWriter fill) throws IOException {
        Path tmp = out.resolve("." + name + ".tmp-" + UUID.randomUUID());
        Path target = out.resolve(name);
        Files.createDirectories(tmp);
        try {
            fill.into(tmp);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    private static void copyTree(Path src, Path dst) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(src)) {
            all = s.toList();
        }
        for (Path p : all) {
            Path d = dst.resolve(src.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(d);
            } else {
                Files.copy(p, d, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.delete(p);
        }
    }
}
