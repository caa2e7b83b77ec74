package dev.bkd.train.loop;

import dev.bkd.core.BkdException;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.io.AtomicFiles;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.io.CrashPoint;
import dev.bkd.core.io.Leftovers;
import dev.bkd.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a diffusers pipeline folder around a trained component (a distilled student's or a fine-tuned
 * {@code unet/}, a trained {@code vae/}) with its own config.json, the base pipeline's other components copied byte
 * for byte, and the teacher's model_index.json, written last. Each
 * component lands in a temp folder first and is renamed into place, so a folder under its final name is complete.
 */
public final class PipelineExport {
    private PipelineExport() {}

    public static void write(Path teacherPipeline, UNet2DConditionModel student, Path out) {
        write(teacherPipeline, "unet", student::save, out);
    }

    /** Writes one component's folder. */
    public interface ComponentWriter {
        void into(Path dir) throws IOException;
    }

    /** The same for any component: {@code component} written by {@code writer}, the rest copied from the base pipeline. */
    public static void write(Path teacherPipeline, String component, ComponentWriter writer, Path out) {
        Path indexFile = teacherPipeline.resolve("model_index.json");
        ModelIndex index = ModelIndex.read(indexFile);
        try {
            Files.createDirectories(out);
            Leftovers.clean(out); // of an export killed earlier: GBs of hidden component copies
            for (Map.Entry<String, ModelIndex.Component> e : index.components().entrySet()) {
                String name = e.getKey();
                if (e.getValue().isDisabled() || name.equals(component)) {
                    continue;
                }
                Path src = teacherPipeline.resolve(name);
                if (!Files.isDirectory(src)) {
                    throw new BkdException(indexFile + " lists component `" + name + "` but there is no folder " + src);
                }
                place(out, name, tmp -> FileTrees.copy(src, tmp));
            }
            place(out, component, writer::into);
            CrashPoint.reach("export.components");
            AtomicFiles.writeString(out.resolve("model_index.json"), Files.readString(indexFile));
        } catch (IOException e) {
            throw new BkdException("cannot write the student pipeline to " + out + ": " + e.getMessage(), e);
        }
    }

    /** Fills a hidden temp folder, then swaps it in for {@code out/name} (see {@link AtomicFolder#swap}). */
    private static void place(Path out, String name, ComponentWriter fill) throws IOException {
        try (AtomicFolder folder = AtomicFolder.begin(out.resolve(name), true)) {
            fill.into(folder.dir());
            folder.commit();
        }
    }
}
