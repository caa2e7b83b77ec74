package dev.bkd.core.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ModelIndex;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.BkdException;
import dev.bkd.core.io.AtomicFolder;
import dev.bkd.core.io.FileTrees;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a pruned student next to nothing else: from a teacher pipeline folder (model_index.json) a complete
 * pipeline folder (student {@code unet/}, the other components copied), from a teacher UNet folder a UNet folder.
 * Everything is written into a hidden temporary sibling of the output and renamed into place at the end, so a
 * failure never leaves a half-written output.
 */
public final class Pruner {
    private Pruner() {}

    /** What was written: the plan, whether it was a pipeline, and which other components were copied. */
    public record Result(PrunePlan plan, Path out, boolean pipeline, List<String> copied) {}

    /** Prunes {@code teacher} by {@code spec} into {@code out}; a non-empty {@code out} is replaced only with {@code force}. */
    public static Result prune(Path teacher, PruneSpec spec, Path out, boolean force) {
        boolean pipeline = Files.isRegularFile(teacher.resolve("model_index.json"));
        Path unetDir = pipeline ? teacher.resolve("unet") : teacher;
        if (!pipeline && !Files.isRegularFile(teacher.resolve(UNet2DConditionModel.CONFIG_NAME))) {
            throw new PruneException(teacher + ": not a pipeline folder (no model_index.json) nor a UNet folder"
                    + " (no config.json)");
        }
        checkOut(teacher, out, force);
        UNet2DConditionConfig tc = UNet2DConditionConfig.read(unetDir.resolve(UNet2DConditionModel.CONFIG_NAME));
        PrunePlan plan = PrunePlan.derive(tc, spec);
        try (AtomicFolder folder = AtomicFolder.begin(out, true)) {
            Path tmp = folder.dir();
            List<String> copied = new ArrayList<>();
            if (pipeline) {
                ModelIndex index = ModelIndex.read(teacher.resolve("model_index.json"));
                Files.copy(teacher.resolve("model_index.json"), tmp.resolve("model_index.json"));
                for (Map.Entry<String, ModelIndex.Component> e : index.components().entrySet()) {
                    if (e.getValue().isDisabled() || e.getKey().equals("unet")) {
                        continue;
                    }
                    Path src = teacher.resolve(e.getKey());
                    if (!Files.isDirectory(src)) {
                        throw new PruneException(teacher + ": model_index.json lists component `" + e.getKey()
                                + "` but there is no folder " + src);
                    }
                    FileTrees.copy(src, tmp.resolve(e.getKey()));
                    copied.add(e.getKey());
                }
            }
            writeUnet(plan, unetDir, pipeline ? tmp.resolve("unet") : tmp, teacher.toString());
            folder.commit();
            return new Result(plan, out, pipeline, copied);
        } catch (IOException e) {
            throw new PruneException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    /** The student's config.json (with lineage) and weights, each tensor copied bit-for-bit from the teacher's. */
    public static void writeUnet(PrunePlan plan, Path teacherUnet, Path dir, String teacherName) throws IOException {
        Files.createDirectories(dir);
        Path file = WeightFiles.resolve(teacherUnet, null);
        try (StateDict t = StateDicts.open(file); NDManager m = NDManager.newBaseManager()) {
            StateDict s = plan.studentWeights(t, file.toString());
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String k : s.keys()) {
                tensors.put(k, s.load(k, m));
            }
            SafetensorsWriter.write(dir.resolve(UNet2DConditionModel.WEIGHTS_NAME), tensors);
        }
        plan.studentConfig(teacherName).save(dir.resolve(UNet2DConditionModel.CONFIG_NAME));
    }

    private static void checkOut(Path teacher, Path out, boolean force) {
        try {
            AtomicFolder.requireApart(out, teacher, "teacher");
        } catch (BkdException e) {
            throw new PruneException(e.getMessage());
        }
        Path o = out.toAbsolutePath().normalize();
        if (Files.exists(o) && !Files.isDirectory(o)) {
            throw new PruneException("output " + out + " exists and is not a folder");
        }
        if (!force && Files.isDirectory(o) && !AtomicFolder.isEmpty(o)) {
            throw new PruneException("output " + out + " exists and is not empty; pass --force to replace it");
        }
    }
}
