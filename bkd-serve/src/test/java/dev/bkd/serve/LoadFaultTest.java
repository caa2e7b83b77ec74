package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationCancelledException;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationResult;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The queue bound, interrupt, a client that leaves, and the timeout. */
class LoadFaultTest {
    /** Each test starts its own server on this pipeline, with the queue and generator it needs. */
    static ServedPipeline served;
    static DiffusionPipeline pipe;

    @BeforeAll
    static void load() {
        served = new ServedPipeline();
        pipe = served.pipe;
    }

    @AfterAll
    static void close() {
        served.close();
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    static boolean running(ServeClient c, int minStep) {
        JsonNode p = c.get("/sdapi/v1/progress").json();
        return !p.get("state").get("job").asText().isEmpty() && p.get("state").get("sampling_step").asInt() >= minStep;
    }

    static CompletableFuture<ServeClient.Answer> async(ServeClient c, Map<String, Object> body) {
        return CompletableFuture.supplyAsync(() -> c.post("/sdapi/v1/txt2img", body));
    }

    @Test
    void queueFullGets503WithRetryAfter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Function<GenerationRequest, GenerationResult> gated = r -> {
            calls.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return pipe.generate(r);
        };
        try (BkdServer s = BkdServer.start(pipe, gated, ServerOptions.defaults().withPort(0).withQueueCapacity(1))) {
            ServeClient c = new ServeClient(s);
            Map<String, Object> body = Map.of("prompt", "q", "steps", 1, "width", 32, "height", 32, "seed", 1);
            CompletableFuture<ServeClient.Answer> first = async(c, body);
            await("the first job to run", () -> calls.get() == 1);
            CompletableFuture<ServeClient.Answer> second = async(c, body);
            await("the second job to wait", () -> s.stats().accepted() == 2);
            ServeClient.Answer third = c.post("/sdapi/v1/txt2img", body);
            assertEquals(503, third.status(), third.text());
            String retry = third.header("Retry-After");
            assertNotNull(retry);
            assertTrue(Long.parseLong(retry) >= 1, retry);
            assertEquals(1, s.stats().rejected());
            release.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).status());
            assertEquals(200, second.get(60, TimeUnit.SECONDS).status());
            assertEquals(2, calls.get(), "the refused request never reached the pipeline");
        }
    }

    @Test
    void interruptStopsTheRunningJobAtTheNextStep() throws Exception {
        AtomicInteger cancelled = new AtomicInteger();
        try (BkdServer s = BkdServer.start(pipe, r -> countCancel(r, cancelled), ServerOptions.defaults().withPort(0))) {
            ServeClient c = new ServeClient(s);
            CompletableFuture<ServeClient.Answer> job = async(c, Map.of("prompt", "long", "steps", 150,
                    "width", 32, "height", 32, "seed", 3, "n_iter", 4));
            await("sampling to start", () -> running(c, 2));
            assertEquals(200, c.post("/sdapi/v1/interrupt", "").status());
            ServeClient.Answer a = job.get(60, TimeUnit.SECONDS);
            assertEquals(200, a.status(), a.text());
            JsonNode info = ServeClient.JSON.readTree(a.json().get("info").asText());
            assertTrue(info.get("interrupted").asBoolean());
            assertEquals(1, cancelled.get(), "the pipeline call stopped between steps");
            assertTrue(a.json().get("images").size() < 4, "the remaining images were not made");
            assertFalse(running(c, 0), "nothing runs after the interrupt");
        }
    }

    @Test
    void clientThatLeavesStopsItsJob() throws Exception {
        AtomicInteger cancelled = new AtomicInteger();
        try (BkdServer s = BkdServer.start(pipe, r -> countCancel(r, cancelled), ServerOptions.defaults().withPort(0))) {
            ServeClient c = new ServeClient(s);
            URI u = URI.create(s.url());
            String body = "{\"prompt\": \"leave\", \"steps\": 150, \"width\": 32, \"height\": 32, \"n_iter\": 16}";
            try (Socket sock = new Socket(u.getHost(), u.getPort())) {
                OutputStream o = sock.getOutputStream();
                o.write(("POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                o.flush();
                await("sampling to start", () -> running(c, 1));
            }
            await("the job to stop", () -> s.stats().abandoned() == 1);
            assertEquals(1, cancelled.get(), "the pipeline call stopped between steps");
            await("the worker to be idle", () -> !running(c, 0));
            assertEquals(0, s.stats().completed());
        }
    }

    @Test
    void requestTimeoutGets504AndStopsTheJob() throws Exception {
        AtomicInteger cancelled = new AtomicInteger();
        // a generation that would never end on its own: it only honours the cancel flag
        Function<GenerationRequest, GenerationResult> endless = r -> {
            while (!r.cancel().getAsBoolean()) {
                Thread.onSpinWait();
            }
            cancelled.incrementAndGet();
            throw new GenerationCancelledException("cancelled");
        };
        ServerOptions opts = ServerOptions.defaults().withPort(0).withTimeout(Duration.ofMillis(500));
        try (BkdServer s = BkdServer.start(pipe, endless, opts)) {
            ServeClient c = new ServeClient(s);
            long t0 = System.nanoTime();
            ServeClient.Answer a = c.post("/sdapi/v1/txt2img", Map.of("prompt", "t", "steps", 1));
            assertEquals(504, a.status(), a.text());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20));
            await("the job to stop", () -> s.stats().abandoned() == 1);
            assertEquals(1, cancelled.get());
        }
    }

    private static GenerationResult countCancel(GenerationRequest r, AtomicInteger cancelled) {
        try {
            return pipe.generate(r);
        } catch (GenerationCancelledException e) {
            cancelled.incrementAndGet();
            throw e;
        }
    }
}
