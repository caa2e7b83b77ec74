package dev.bkd.examples.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.train.cache.CacheBuilder;
import dev.bkd.train.cache.CacheShard;
import dev.bkd.train.cache.CacheSlice;
import dev.bkd.train.cache.CacheSlices;
import dev.bkd.train.cache.LatentCache;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.Sources;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code bkd cache build|merge}: the latent cache of distill/finetune/lora --cache-latents, built ahead, in slices. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "Build the latent cache a training run's --cache-latents reads, ahead of training and, with"
            + " --shards I/N, in N independent slices (one per machine) that `bkd cache merge` joins.",
        subcommands = {CacheCommand.Build.class, CacheCommand.Merge.class})
final class CacheCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Encode the images with the model's VAE and text encoder into --out. The same options as"
                + " the training run (--resolution, crop, flip, --seed, --batch) give the cache that run reuses, byte"
                + " for byte. --shards I/N encodes slice I (from 0) of N only; rerun a killed slice alone.")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "Pipeline folder whose vae/, text_encoder/ and tokenizer/ encode (the teacher for distill).")
        Path model;

        @Option(names = "--out", required = true, paramLabel = "CACHE", description = "Cache folder.")
        Path out;

        @Mixin
        ImageDataMixin data;

        @Option(names = "--resolution", paramLabel = "PX", description = "Image size. Default: the model's.")
        Integer resolution;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
                description = "The training run's --seed (draws crops and flips). Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--batch", defaultValue = "16", paramLabel = "B",
                description = "Images per encoder call: the training run's --batch. Default: ${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--shards", paramLabel = "I/N", description = "Encode only slice I of N (0 <= I < N).")
        String shards;

        @Option(names = "--verbose", description = "Print stack traces on errors.")
        boolean verbose;

        @picocli.CommandLine.Mixin
        CheckpointMixin checkpoint;

        @Override
        public Integer call() {
            PrintWriter w = spec.commandLine().getOut();
            model = checkpoint.folder(model, spec.commandLine().getErr());
            CacheSlice slice = shards == null ? null : CacheSlice.parse(shards);
            int res = resolution != null ? resolution : FinetuneCommand.defaultResolution(model);
            DataOptions d = new DataOptions(data.data, data.dataset(), res, data.centerCrop(), data.randomFlip, out);
            try (NDManager root = NDManager.newBaseManager(Device.cpu());
                 FrozenEncoders enc = FrozenEncoders.load(model, root, DataType.FLOAT32)) {
                CaptionedDataset dataset = CaptionedDataset.open(d.data(), d.dataset());
                CacheBuilder b = Sources.cacheBuilder(dataset, d, seed, batch, enc);
                if (slice == null) {
                    try (LatentCache c = b.build(out, root)) {
                        w.printf("cache %s: %d items in %d shards%n", out, c.size(), b.shardCount());
                    }
                } else {
                    CacheSlices.build(b, out, slice, root);
                    w.printf("cache %s: slice %s done (shards %d..%d of %d); run `bkd cache merge %s` when all %d are"
                            + " done%n", out, slice, slice.firstShard(b.shardCount()),
                            slice.endShard(b.shardCount()) - 1, b.shardCount(), out, slice.count());
                }
                w.println(dataset.report().summary());
            }
            return 0;
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Write cache.json once every slice of `bkd cache build --shards I/N` is done.")
    static final class Merge implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "CACHE", description = "Cache folder the slices wrote into.")
        Path dir;

        @Option(names = "--verbose", description = "Print stack traces on errors.")
        boolean verbose;

        @Override
        public Integer call() {
            List<CacheShard> shards = CacheSlices.merge(dir);
            spec.commandLine().getOut().printf("cache %s: %d shards, %d items%n", dir, shards.size(),
                    shards.stream().mapToInt(s -> s.items().length).sum());
            return 0;
        }
    }
}
