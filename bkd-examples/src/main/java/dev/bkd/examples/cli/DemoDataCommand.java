package dev.bkd.examples.cli;

import dev.bkd.train.shapes.Colour;
import dev.bkd.train.shapes.ShapeKind;
import dev.bkd.train.shapes.ShapesDataset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd demo-data}: the demo's captioned shapes, drawn by code from a seed. */
@Command(name = "demo-data", mixinStandardHelpOptions = true,
        description = "Draw the demo's captioned data set (coloured circles, squares and triangles on coloured"
            + " backgrounds, captions like \"a red circle on a blue background\") as an imagefolder with"
            + " metadata.jsonl. The same --count/--size/--seed always give the same pictures; a folder already"
            + " holding them is reused.")
final class DemoDataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--count", defaultValue = "1200", paramLabel = "N", description = "Number of images (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", defaultValue = "32", paramLabel = "PX", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Replace a non-empty --out that holds something else.")
    boolean force;

    @Mixin
    VerboseMixin verbose;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        boolean wrote = ShapesDataset.write(out, new ShapesDataset.Spec(count, size, seed), force);
        w.printf("%s %d images of %dx%d (seed %d): %s%n", wrote ? "wrote" : "reused", count, size, size, seed,
                out.toAbsolutePath().normalize());
        w.printf("shapes %s; colours %s%n", Arrays.stream(ShapeKind.values()).map(ShapeKind::word).toList(),
                Arrays.stream(Colour.values()).map(Colour::word).toList());
        w.flush();
        return 0;
    }
}
