package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.BkdException;
import dev.bkd.core.testing.RefData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One pipeline shared by several threads: each request gets bit for bit the image it gets alone; LoRA changes and
 * close wait for running generations, and nothing is freed under a running one.
 */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class PipelineConcurrencyTest {
    static DiffusionPipeline pipe;

    /** Mixed settings: schedulers, sizes, steps, guidance on and off, batches. */
    static final List<Supplier<GenerationRequest.Builder>> REQUESTS = List.of(
            () -> GenerationRequest.builder("a red square").steps(3).size(64, 64).guidanceScale(7.5).seed(1L)
                    .scheduler("ddim"),
            () -> GenerationRequest.builder("a blue circle", "a green line").negativePrompt("blurry").steps(4)
                    .size(32, 48).guidanceScale(5).seed(2L).scheduler("euler-a"),
            () -> GenerationRequest.builder("yellow").steps(2).size(48, 32).guidanceScale(1.0).seed(3L)
                    .scheduler("pndm").imagesPerPrompt(2),
            () -> GenerationRequest.builder("purple triangle").steps(3).size(64, 32).guidanceScale(3).seed(4L)
                    .scheduler("dpm++2m"));

    @BeforeAll
    static void load() {
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
    }

    @AfterAll
    static void close() {
        pipe.close();
    }

    static float[] run(DiffusionPipeline p, GenerationRequest.Builder b) {
        GenerationResult r = p.generate(b.outputs(OutputType.ARRAY, OutputType.LATENTS).build());
        float[] img = r.image().data();
        float[] lat = r.latents().data();
        float[] both = Arrays.copyOf(img, img.length + lat.length);
        System.arraycopy(lat, 0, both, img.length, lat.length);
        return both;
    }

    /** Starts {@code b} on {@code pool}; returns once it finished its first step, where it waits for release. */
    static Future<float[]> heldAtFirstStep(ExecutorService pool, DiffusionPipeline p, GenerationRequest.Builder b,
            CountDownLatch release) throws InterruptedException {
        CountDownLatch atStep = new CountDownLatch(1);
        Future<float[]> gen = pool.submit(() -> run(p, b.progress((s, n, t) -> {
            atStep.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })));
        assertTrue(atStep.await(60, TimeUnit.SECONDS), "the generation reached its first step");
        return gen;
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4})
    void eachThreadGetsTheImageItGetsAlone(int threads) throws Exception {
        List<float[]> alone = new ArrayList<>();
        for (Supplier<GenerationRequest.Builder> r : REQUESTS) {
            alone.add(run(pipe, r.get()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 1; round++) {
                        for (int k = 0; k < REQUESTS.size(); k++) {
                            int i = (first + k) % REQUESTS.size();
                            assertArrayEquals(alone.get(i), run(pipe, REQUESTS.get(i).get()),
                                    "request " + i + " on thread " + first + ", round " + round);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(300, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void loraChangesWaitForRunningGenerations(@TempDir Path tmp) throws Exception {
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults())) {
            p.loadLora(PipelineLoraTest.loraFile(tmp.resolve("l"), 2, 0.3), 1.0);
            float[] unfused = run(p, REQUESTS.get(0).get());
            p.fuseLora();
            float[] fused = run(p, REQUESTS.get(0).get());
            p.unfuseLora();
            assertArrayEquals(unfused, run(p, REQUESTS.get(0).get()), "unfuse restores the weights exactly");

            // a generation holds at its first step while another thread asks to fuse
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<float[]> gen = heldAtFirstStep(pool, p, REQUESTS.get(0).get(), release);
                AtomicBoolean fusedYet = new AtomicBoolean();
                Future<?> fuse = pool.submit(() -> {
                    p.fuseLora();
                    fusedYet.set(true);
                });
                Thread.sleep(300);
                assertFalse(fusedYet.get(), "fuse waits while a generation runs");
                release.countDown();
                assertArrayEquals(unfused, gen.get(60, TimeUnit.SECONDS), "the running generation kept its weights");
                fuse.get(60, TimeUnit.SECONDS);
                assertArrayEquals(fused, run(p, REQUESTS.get(0).get()), "later generations see the fused weights");
                p.unfuseLora();

                // fuse/unfuse in a loop under two generating threads: every image is one of the two, never a mix
                AtomicBoolean stop = new AtomicBoolean();
                Future<?> flipper = pool.submit(() -> {
                    while (!stop.get()) {
                        p.fuseLora();
                        p.unfuseLora();
                    }
                });
                ExecutorService gens = Executors.newFixedThreadPool(2);
                try {
                    List<Future<?>> all = new ArrayList<>();
                    for (int t = 0; t < 2; t++) {
                        all.add(gens.submit(() -> {
                            for (int i = 0; i < 3; i++) {
                                float[] got = run(p, REQUESTS.get(0).get());
                                assertTrue(Arrays.equals(got, unfused) || Arrays.equals(got, fused),
                                        "an image made while LoRA flips is exactly unfused or fused");
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : all) {
                        f.get(300, TimeUnit.SECONDS);
                    }
                } finally {
                    stop.set(true);
                    gens.shutdownNow();
                }
                flipper.get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closeWaitsForARunningGenerationAndLaterCallsFailClearly() throws Exception {
        DiffusionPipeline p = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
        float[] alone = run(p, REQUESTS.get(1).get());
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<float[]> gen = heldAtFirstStep(pool, p, REQUESTS.get(1).get(), release);
            Future<?> closing = pool.submit(p::close);
            Thread.sleep(300);
            assertFalse(closing.isDone(), "close waits for the running generation");
            release.countDown();
            assertArrayEquals(alone, gen.get(60, TimeUnit.SECONDS));
            closing.get(60, TimeUnit.SECONDS);
            BkdException e = assertThrows(BkdException.class, () -> run(p, REQUESTS.get(1).get()));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(BkdException.class, p::fuseLora);
        } finally {
            pool.shutdownNow();
        }
        p.close(); // twice is harmless
    }
}
