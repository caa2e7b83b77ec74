package dev.bkd.serve;

import dev.bkd.models.pipeline.GenerationCancelledException;
import dev.bkd.models.pipeline.GenerationParameters;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationResult;
import dev.bkd.models.pipeline.PngFiles;
import dev.bkd.models.prompt.PromptSyntax;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded queue in front of the pipeline: {@code workers} threads (one by default: one generation at a time
 * per device) and at most {@code capacity} waiting jobs; a job beyond that is refused at once with 503 and a
 * Retry-After estimated from recent job times, never buffered. Every job has a deadline; a job that is stopped
 * while it waits is skipped, one that runs stops at its next sampling step.
 */
final class GenerationQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationQueue.class);

    private final Function<GenerationRequest, GenerationResult> generator;
    private final String defaultScheduler;
    /** A mask with a 4-channel (text-to-image) UNet: blend the known region back each step (legacy inpainting). */
    private final boolean legacyInpainting;
    private final Progress progress;
    private final Duration timeout;
    private final int workers;
    private final ThreadPoolExecutor exec;
    private final ScheduledExecutorService timer;
    private final Set<Job> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Mean seconds per finished job (exponential average), for Retry-After. */
    private volatile double meanSeconds = 5;

    GenerationQueue(Function<GenerationRequest, GenerationResult> generator, String defaultScheduler, boolean legacyInpainting, Progress progress, ServerOptions options) {
        this.generator = generator;
        this.legacyInpainting = legacyInpainting;
        this.defaultScheduler = defaultScheduler;
        this.progress = progress;
        this.timeout = options.timeout();
        this.workers = options.workers();
        BlockingQueue<Runnable> queue = options.queueCapacity() == 0 ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(options.queueCapacity());
        AtomicInteger n = new AtomicInteger();
        exec = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.SECONDS, queue, r -> {
            Thread t = new Thread(r, "bkd-serve-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        exec.prestartAllCoreThreads();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bkd-serve-timeouts");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code job} or throws 503; its result completes with images or an {@link ApiException}. */
    void submit(Job job) {
        try {
            exec.execute(() -> run(job));
        } catch (RejectedExecutionException e) {
            rejected.incrementAndGet();
            long wait = Math.max(1, (long) Math.ceil(meanSeconds * (exec.getQueue().size() + workers) / workers));
            throw new ApiException(503, "QueueFull", "the queue is full (" + exec.getQueue().size()
                    + " waiting, " + running.size() + " running); retry after about " + wait + " s",
                    Map.of("Retry-After", Long.toString(wait)));
        }
        accepted.incrementAndGet();
        timer.schedule(() -> {
            if (!job.result.isDone()) {
                job.stop(Job.Stop.TIMEOUT);
                job.result.completeExceptionally(new ApiException(504, "Timeout", "the generation did not finish"
                        + " within " + timeout.toSeconds() + " s (server --timeout), waiting included; it was"
                        + " stopped"));
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops every running job at its next step; they answer with the images finished so far (A1111's interrupt). */
    void interrupt() {
        for (Job j : running) {
            j.stop(Job.Stop.INTERRUPT);
            progress.interrupted(j);
        }
    }

    ServerStats stats() {
        return new ServerStats(accepted.get(), rejected.get(), completed.get(), abandoned.get(), failed.get());
    }

    private void run(Job job) {
        if (job.stopping()) {
            abandoned.incrementAndGet();
            return;
        }
        long start = System.nanoTime();
        running.add(job);
        String stamp = progress.begin(job);
        GenerateResult result = null;
        ApiException failure = null;
        Error fatal = null;
        try {
            result = generate(job, stamp);
        } catch (ApiException e) {
            failure = e;
        } catch (RuntimeException | Error e) {
            // Errors too (a linkage error, out of memory): the client must get an answer, not wait for --timeout
            failure = ApiException.fromFailure(e);
            if (failure.status() >= 500) {
                LOG.error("generation failed", e);
            }
            fatal = e instanceof Error err ? err : null;
        } finally {
            // before answering: a client that reads /progress right after its answer sees the worker idle
            running.remove(job);
            progress.end(job);
            meanSeconds = 0.7 * meanSeconds + 0.3 * (System.nanoTime() - start) / 1e9;
        }
        if (failure != null) {
            failed.incrementAndGet();
            job.result.completeExceptionally(failure);
        } else if (job.stopReason() == Job.Stop.DISCONNECT || job.stopReason() == Job.Stop.TIMEOUT) {
            abandoned.incrementAndGet();
        } else {
            completed.incrementAndGet();
            job.result.complete(result);
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    /**
     * Image {@code i} with seed {@code seed + i} (and init image {@code i mod count}), one pipeline call each, until
     * done or stopped.
     */
    private GenerateResult generate(Job job, String stamp) {
        GenerateParams p = job.params;
        long seed = p.seed() >= 0 ? p.seed() : java.util.concurrent.ThreadLocalRandom.current()
                .nextLong(GenerateParams.MAX_SEED + 1);
        String scheduler = p.sampler() == null ? defaultScheduler : p.sampler().scheduler();
        List<byte[]> pngs = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        List<String> infotexts = new ArrayList<>();
        for (int i = 0; i < p.imageCount() && !job.stopping(); i++) {
            progress.image(job, i);
            long s = seed + i;
            GenerationRequest.Builder req = GenerationRequest.builder(p.prompt()).negativePrompt(p.negativePrompt())
                    .steps(p.steps()).guidanceScale(p.cfgScale()).size(p.width(), p.height()).seed(s)
                    .scheduler(scheduler).progress((done, total, t) -> progress.step(job, done, total))
                    // clients of A1111's API send A1111 prompts: (word:1.4), BREAK, more than 77 tokens
                    .promptSyntax(PromptSyntax.A1111).clipSkip(p.clipSkip())
                    .cancel(job::stopping);
            if (p.image() != null) {
                Img2ImgInput in = p.image();
                req.initImage(in.initImage(i)).strength(in.strength()).resizeMode(in.resizeMode());
                if (in.mask() != null) {
                    req.mask(in.mask()).legacyInpainting(legacyInpainting);
                }
            }
            GenerationRequest built = req.build();
            GenerationResult r;
            try {
                r = generator.apply(built);
            } catch (GenerationCancelledException e) {
                break;
            }
            // the pipeline's own record of the call (clip skip and prompt syntax included)
            String infotext = r.parameters().get(0).toInfotext();
            seeds.add(s);
            infotexts.add(infotext);
            if (p.sendImages()) {
                pngs.add(PngFiles.encode(r.images().get(0), Map.of(GenerationParameters.PNG_KEY, infotext)));
            }
        }
        return new GenerateResult(pngs, seeds, infotexts, job.stopReason() == Job.Stop.INTERRUPT, stamp);
    }

    @Override
    public void close() {
        for (Job j : running) {
            j.stop(Job.Stop.SHUTDOWN);
        }
        exec.shutdownNow();
        timer.shutdownNow();
        try {
            exec.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
