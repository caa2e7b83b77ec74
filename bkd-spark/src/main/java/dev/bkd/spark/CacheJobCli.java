package dev.bkd.spark;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The job's arguments, named like {@code bkd cache build}'s. */
@Command(name = "bkd-spark cache", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Build bkd's latent cache on Spark: one task per shard, the same bytes as `bkd cache build`.")
final class CacheJobCli {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Pipeline folder (vae/, text_encoder/, tokenizer/).")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "Image folder or webdataset shards (data/{00000..00123}.tar, a folder of .tar, a list file).")
    String data;

    @Option(names = "--out", required = true, paramLabel = "CACHE", description = "Cache folder (shared by all executors).")
    Path out;

    @Option(names = "--resolution", defaultValue = "512", paramLabel = "PX", description = "Default: ${DEFAULT-VALUE}.")
    int resolution;

    @Option(names = "--center-crop", description = "Crop the centre after resizing (default: random crop).")
    boolean centerCrop;

    @Option(names = "--random-flip", description = "Flip images horizontally at random.")
    boolean randomFlip;

    @Option(names = "--caption-column", defaultValue = "text", paramLabel = "NAME", description = "Default: ${DEFAULT-VALUE}.")
    String captionColumn;

    @Option(names = "--strict-data", description = "Fail on the first bad sample instead of skipping it.")
    boolean strictData;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "The training run's --seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "The training run's --batch. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--shard-size", defaultValue = "512", paramLabel = "N",
            description = "Items per cache shard = per task (training runs use 512). Default: ${DEFAULT-VALUE}.")
    int shardSize;

    /** The options, or null when --help/--version was printed. Bad arguments throw with picocli's message. */
    static CacheJobOptions parse(String... args) {
        CacheJobCli c = new CacheJobCli();
        CommandLine cl = new CommandLine(c);
        cl.parseArgs(args);
        if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
            cl.usage(System.out);
            return null;
        }
        // data stays a string: a brace range is not a file, and the executors resolve it themselves
        return new CacheJobOptions(c.model.toAbsolutePath().toString(), absolute(c.data), c.out.toAbsolutePath().toString(),
                c.resolution, c.centerCrop, c.randomFlip, c.captionColumn, c.strictData, c.seed, c.batch, c.shardSize);
    }

    private static String absolute(String data) {
        return Path.of(data).toAbsolutePath().toString();
    }
}
