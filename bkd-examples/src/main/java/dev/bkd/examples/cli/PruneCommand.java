package dev.bkd.examples.cli;

import dev.bkd.core.prune.PruneSpec;
import dev.bkd.core.prune.Pruner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd prune}: a BK-SDM student initialised from the teacher by block removal. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Remove UNet blocks (BK-SDM) and copy the teacher's weights into the student. From a pipeline"
            + " folder the output is a complete pipeline folder (student unet/ with its own config.json, the teacher's"
            + " text encoder, VAE, tokenizer, scheduler and model_index.json); from a unet/ folder it is a unet/"
            + " folder. The output is written to a temporary sibling and renamed into place.")
final class PruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--teacher", required = true, paramLabel = "DIR|FILE",
            description = "Teacher pipeline or unet folder, or a single-file checkpoint (.safetensors/.ckpt).")
    Path teacher;

    @Option(names = "--variant", required = true, paramLabel = "VARIANT",
            description = "base, small, tiny, sd_small (= base), sd_tiny (= tiny), or a spec .json file.")
    String variant;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (must be empty or absent).")
    Path out;

    @Option(names = "--force", description = "Replace a non-empty --out.")
    boolean force;

    @Mixin
    VerboseMixin verbose;

    /** The help footer: every built-in variant with its aliases and description, from the variant resources. */
    static String[] variantsHelp() {
        List<String> lines = new ArrayList<>(List.of("", "Variants (built in):"));
        for (PruneSpec s : PruneSpec.builtIns()) {
            String head = "  " + s.name() + (s.aliases().isEmpty() ? "" : " (Segmind's " + String.join(", ", s.aliases())
                    + ")") + " - ";
            StringBuilder line = new StringBuilder(head);
            for (String word : s.description().split(" ")) {
                if (line.length() + word.length() > 78) {
                    lines.add(line.toString());
                    line = new StringBuilder("      ");
                }
                line.append(word).append(' ');
            }
            lines.add(line.toString());
        }
        lines.add("  or a spec .json file, e.g. {\"down_blocks\": {\"resnets\": [0]},");
        lines.add("      \"up_blocks\": {\"resnets\": [0, -1]}, \"mid_block\": true,");
        lines.add("      \"drop_innermost_stage\": false}; per-block lists have one entry per");
        lines.add("      teacher block (null for a dropped one); negative indices count from the end.");
        return lines.toArray(String[]::new);
    }

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        Pruner.Result r = Pruner.prune(checkpoint.folder(teacher, spec.commandLine().getErr()), PruneSpec.resolve(variant), out, force);
        var plan = r.plan();
        w.printf("variant:    %s%s%n", plan.spec().label(),
                plan.spec().description().isEmpty() ? "" : " - " + plan.spec().description());
        w.printf("parameters: %,d -> %,d (%.1f%% of the teacher)%n", plan.teacherParameters(),
                plan.studentParameters(), 100.0 * plan.studentParameters() / plan.teacherParameters());
        w.printf("removed:    %s%n", plan.removed().isEmpty() ? "nothing" : String.join(", ", plan.removed()));
        w.printf("wrote:      %s (%s%s)%n", r.out(), r.pipeline() ? "pipeline; unet/ pruned" : "unet folder",
                r.copied().isEmpty() ? "" : "; copied " + String.join(", ", r.copied()));
        w.flush();
        return 0;
    }
}
