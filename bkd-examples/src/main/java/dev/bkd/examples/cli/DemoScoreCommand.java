package dev.bkd.examples.cli;

import dev.bkd.train.log.ImageGrid;
import dev.bkd.train.shapes.Scene;
import dev.bkd.train.shapes.Scenes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd demo-score}: prompt-following accuracy of any pipeline on the demo's prompt set. */
@Command(name = "demo-score", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw the demo's 15 evaluation prompts with a pipeline and read every picture back (background"
            + " colour, shape colour, shape kind by palette labels and region geometry): prompt-following accuracy.")
final class DemoScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Pipeline folder.")
    Path model;

    @Option(names = "--seeds", defaultValue = DemoEval.SEEDS, description = "Seeds per prompt (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--sample-steps", defaultValue = DemoEval.SAMPLE_STEPS, description = "Denoising steps (default ${DEFAULT-VALUE}).")
    int sampleSteps;

    @Option(names = "--guidance", defaultValue = DemoEval.GUIDANCE, description = "Classifier-free guidance (default ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--grid", paramLabel = "FILE", description = "Also write the pictures as a PNG grid.")
    Path grid;

    @Mixin
    VerboseMixin verbose;

    @picocli.CommandLine.Mixin
    CheckpointMixin checkpoint;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        model = checkpoint.folder(model, spec.commandLine().getErr());
        List<Scene> prompts = Scenes.promptSet(32);
        List<Long> seedList = LongStream.range(0, seeds).boxed().toList();
        DemoEval.Result r = DemoEval.run(model, prompts, seedList, sampleSteps, guidance, "model", w);
        w.printf("prompt following: %s (%.0f s)%n", r.score().summary(), r.seconds());
        if (grid != null) {
            List<String> labels = new ArrayList<>();
            seedList.forEach(s -> labels.add("seed " + s));
            ImageGrid.write(grid, r.rows(), labels, prompts.stream().map(DemoEval::label).toList(), 3);
            w.printf("grid: %s%n", grid.toAbsolutePath());
        }
        w.flush();
        return 0;
    }
}
