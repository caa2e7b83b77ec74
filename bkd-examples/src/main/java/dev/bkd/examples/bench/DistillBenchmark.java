package dev.bkd.examples.bench;

import dev.bkd.core.io.FileTrees;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.train.distill.DistillLoss;
import dev.bkd.train.distill.DistillOptions;
import dev.bkd.train.distill.Distiller;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.shapes.ShapesDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Distils a teacher pipeline folder into its tiny student on a generated shapes dataset and reports speed and
 * memory: resident set size (VmRSS) and live NDArrays every {@code every} steps, so a flat memory profile over a
 * long run is visible. Usage: {@code DistillBenchmark TEACHER_DIR [steps=300] [resolution=64] [batch=2] [every=50]}.
 */
public final class DistillBenchmark {
    private DistillBenchmark() {}

    public static void main(String[] args) throws IOException {
        Path teacher = Path.of(args[0]);
        long steps = args.length > 1 ? Long.parseLong(args[1]) : 300;
        int res = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int every = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        Path tmp = Files.createTempDirectory("bkd-distill-bench");
        try {
            Path data = tmp.resolve("data");
            ShapesDataset.write(data, new ShapesDataset.Spec(32, res + res / 4, 1), false);
            TrainConfig t = TrainConfig.builder().steps(steps).batchSize(batch).lr(1e-4).checkpointEvery(0)
                    .logEvery(every).build();
            DistillOptions o = DistillOptions.builder(teacher, data, tmp.resolve("out")).variant("tiny")
                    .resolution(res).cacheDir(tmp.resolve("cache")).train(t).build();
            long[] t0 = {System.nanoTime()};
            try (Distiller d = Distiller.prepare(o)) {
                d.loop().listener(m -> {
                    if (m.step() % every == 0 || m.step() == 1) {
                        double secs = (System.nanoTime() - t0[0]) / 1e9;
                        System.out.printf("step %5d  loss %.4f  %.2f img/s  RSS %s  live arrays %d  %.1f s%n", m.step(),
                                m.losses().get(DistillLoss.TOTAL), m.imagesPerSecond(), rss(), d.liveArrays(), secs);
                    }
                    return true;
                });
                d.run();
            }
        } finally {
            FileTrees.delete(tmp);
        }
    }

    /** VmRSS, or "n/a" off Linux. */
    public static String rss() {
        return ProcStatus.rssKiB().stream().mapToObj(k -> String.format("%.0f MB", k / 1024.0)).findFirst().orElse("n/a");
    }
}
