package dev.bkd.train.distill;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.prune.PrunePlan;
import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.StateDicts;
import dev.bkd.core.weights.WeightFiles;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a student comes from: pruned from the teacher (weights copied by the prune plan) or an existing folder. */
public final class Students {
    private Students() {}

    /** A student and its prune variant name (null when unknown, e.g. a folder bkd did not prune). */
    public record Student(UNet2DConditionModel model, String variant) {}

    /** The UNet folder of a pipeline folder ({@code unet/}) or the folder itself. */
    public static Path unetFolder(Path folder) {
        Path inner = folder.resolve("unet");
        if (Files.isRegularFile(inner.resolve(UNet2DConditionModel.CONFIG_NAME))) {
            return inner;
        }
        if (Files.isRegularFile(folder.resolve(UNet2DConditionModel.CONFIG_NAME))) {
            return folder;
        }
        throw new BkdException(folder + ": no UNet here (expected config.json, or a pipeline folder with unet/)");
    }

    /** Prunes the teacher UNet in {@code teacherUnet} by {@code variantOrSpec} (built-in name, alias or spec file). */
    public static Student prune(Path teacherUnet, String variantOrSpec, NDManager manager,
                                UNet2DConditionModel.Options options) {
        PruneSpec spec = PruneSpec.resolve(variantOrSpec);
        UNet2DConditionConfig tc = UNet2DConditionConfig.read(teacherUnet.resolve(UNet2DConditionModel.CONFIG_NAME));
        PrunePlan plan = PrunePlan.derive(tc, spec);
        Path file = WeightFiles.resolve(teacherUnet, options.variant());
        try (StateDict teacher = StateDicts.open(file)) {
            StateDict weights = plan.studentWeights(teacher, file.toString());
            UNet2DConditionModel m = UNet2DConditionModel.fromStateDict(plan.studentConfig(teacherUnet.toString()),
                    weights, manager, options, file + " pruned to " + spec.label());
            return new Student(m, spec.name());
        }
    }

    /** Loads an existing student (continue distilling it); its variant comes from bkd's prune lineage if present. */
    public static Student load(Path folder, NDManager manager, UNet2DConditionModel.Options options) {
        UNet2DConditionModel m = UNet2DConditionModel.fromPretrained(unetFolder(folder), manager, options);
        ObjectNode lineage = PrunePlan.lineageOf(m.config());
        return new Student(m, lineage == null || !lineage.hasNonNull("variant") ? null : lineage.get("variant").asText());
    }
}
