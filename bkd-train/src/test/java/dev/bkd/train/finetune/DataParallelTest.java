package dev.bkd.train.finetune;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.train.log.StepMetrics;
import dev.bkd.train.loop.TrainConfig;
import dev.bkd.train.loop.TrainResult;
import dev.bkd.train.optim.Ema;
import dev.bkd.train.shapes.ShapesDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CPU replicas with batch b against one device with gradient accumulation 2 x b, on the tiny reference
 * pipeline: the same data, noise and timesteps and the same gradient sums, so the same bits.
 */
class DataParallelTest {
    @TempDir
    static Path tmp;
    static Path data;
    static final List<Device> TWO_CPUS = List.of(Device.cpu(), Device.cpu());

    @BeforeAll
    static void shapes() {
        data = tmp.resolve("data");
        ShapesDataset.write(data, new ShapesDataset.Spec(6, 32, 1), false);
    }

    static TrainConfig.Builder base() {
        return TrainConfig.builder().steps(3).batchSize(2).lr(1e-3).seed(11).checkpointEvery(0)
                .ema(Ema.Config.defaults().withDecay(0.9));
    }

    static List<StepMetrics> run(TrainConfig t, Path out, int stopAfter) {
        List<StepMetrics> steps = new ArrayList<>();
        TrainResult r = FinetunerTest.run(FinetunerTest.options(data, null, out, t, 5.0, List.of()),
                m -> steps.add(m) && m.step() < stopAfter);
        assertEquals(Math.min(stopAfter, t.steps()), r.step());
        return steps;
    }

    static byte[] unet(Path out) throws Exception {
        return Files.readAllBytes(out.resolve("unet").resolve(UNet2DConditionModel.WEIGHTS_NAME));
    }

    static void assertSameBits(List<StepMetrics> want, List<StepMetrics> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).losses(), got.get(i).losses(), "losses at step " + (i + 1));
            assertEquals(want.get(i).gradNorm(), got.get(i).gradNorm(), 0.0, "grad norm at step " + (i + 1));
        }
    }

    @Test
    void twoReplicasEqualAccumulationOfTwoBitForBitAndResumeTheSameWay() throws Exception {
        List<StepMetrics> accum = run(base().gradAccum(2).build(), tmp.resolve("accum"), 99);
        List<StepMetrics> parallel = run(base().devices(TWO_CPUS).build(), tmp.resolve("dp"), 99);
        assertSameBits(accum, parallel);
        assertArrayEquals(unet(tmp.resolve("accum")), unet(tmp.resolve("dp")), "the saved (EMA) UNets differ");
        assertEquals(4, base().devices(TWO_CPUS).build().effectiveBatch());

        // stopped after step 2 (a checkpoint is written), then resumed: the same bits as the straight run
        Path out = tmp.resolve("dp-resumed");
        List<StepMetrics> first = run(base().devices(TWO_CPUS).build(), out, 2);
        Path copy = tmp.resolve("dp-resumed-on-one-device");
        try (var files = Files.walk(out)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(out.relativize(f).toString()));
            }
        }
        List<StepMetrics> rest = run(base().devices(TWO_CPUS).resume("latest").build(), out, 99);
        List<StepMetrics> all = new ArrayList<>(first);
        all.addAll(rest);
        assertSameBits(parallel, all);
        assertArrayEquals(unet(tmp.resolve("dp")), unet(out));

        // the checkpoint of two replicas resumes on one device with --grad-accum 2: the same step
        List<StepMetrics> single = run(base().gradAccum(2).resume("latest").build(), copy, 99);
        assertSameBits(rest, single);
        assertArrayEquals(unet(out), unet(copy));
    }

    @Test
    void accumulationOnTopOfReplicasSumsInMicroBatchOrder() throws Exception {
        List<StepMetrics> four = run(base().steps(1).gradAccum(4).build(), tmp.resolve("a4"), 99);
        List<StepMetrics> twoByTwo = run(base().steps(1).gradAccum(2).devices(TWO_CPUS).build(), tmp.resolve("dp2"), 99);
        assertSameBits(four, twoByTwo);
        assertArrayEquals(unet(tmp.resolve("a4")), unet(tmp.resolve("dp2")));
    }

    @Test
    void theFirstDeviceMustBeTheRunsDevice() {
        TrainConfig t = base().devices(List.of(Device.gpu(0), Device.cpu())).build();
        ConfigException e = assertThrows(ConfigException.class,
                () -> Finetuner.prepare(FinetunerTest.options(data, null, tmp.resolve("x"), t, null, List.of())));
        assertTrue(e.getMessage().contains("must be the run's device cpu()"), e.getMessage());
    }
}
