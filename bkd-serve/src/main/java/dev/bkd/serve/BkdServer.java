package dev.bkd.serve;

import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.GenerationRequest;
import dev.bkd.models.pipeline.GenerationResult;
import java.util.function.Function;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An AUTOMATIC1111-compatible HTTP server for one {@link DiffusionPipeline}, embedded Jetty 12:
 * {@code BkdServer.start(pipeline, ServerOptions.defaults())} listens on 127.0.0.1:7860 until {@link #close()}.
 * The pipeline stays the caller's (not closed here). Endpoints: {@code POST /sdapi/v1/txt2img} and {@code img2img},
 * {@code GET /sdapi/v1/progress}, {@code POST /sdapi/v1/interrupt}, {@code GET /sdapi/v1/samplers},
 * {@code GET /sdapi/v1/sd-models}, {@code GET/POST /sdapi/v1/options}, and a web page at {@code /}.
 */
public final class BkdServer implements AutoCloseable {
    private final Server jetty;
    private final ServerConnector connector;
    private final GenerationQueue queue;

    private BkdServer(Server jetty, ServerConnector connector, GenerationQueue queue) {
        this.jetty = jetty;
        this.connector = connector;
        this.queue = queue;
    }

    /** Starts serving {@code pipeline}; fails if the address is taken or a non-loopback host has no API key. */
    public static BkdServer start(DiffusionPipeline pipeline, ServerOptions options) {
        return start(pipeline, pipeline::generate, options);
    }

    /** As {@link #start(DiffusionPipeline, ServerOptions)} with every generation going through {@code generator}. */
    static BkdServer start(DiffusionPipeline pipeline, Function<GenerationRequest, GenerationResult> generator,
            ServerOptions options) {
        options.checkExposure();
        Progress progress = new Progress();
        String title = pipeline.modelName();
        boolean legacyInpainting = pipeline.unet().config().inChannels() == pipeline.vae().config().latentChannels();
        GenerationQueue queue = new GenerationQueue(generator, pipeline.schedulerName(), legacyInpainting,
                progress, options);
        ServerContext ctx = new ServerContext(options, new Settings(title, pipeline.textEncoder().config().numHiddenLayers()), progress, queue, title,
                pipeline.schedulerName(), pipeline.defaultWidth(), pipeline.defaultHeight());
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("bkd-serve-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        jetty.addConnector(connector);
        jetty.setHandler(new ApiHandler(ctx));
        try {
            jetty.start();
        } catch (Exception e) {
            queue.close();
            try {
                jetty.stop();
            } catch (Exception ignored) {
                // already failing: the start error is the one to report
            }
            throw new ServeException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage(), e);
        }
        return new BkdServer(jetty, connector, queue);
    }

    /** The port listened on (the chosen one when the options asked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port}. */
    public String url() {
        String h = connector.getHost();
        return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port();
    }

    public ServerStats stats() {
        return queue.stats();
    }

    /** Blocks until the server stops (the CLI's main thread). */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /** Stops running jobs at their next step, then the server; the pipeline is not closed. */
    @Override
    public void close() {
        queue.close();
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new ServeException("stopping the server failed: " + e.getMessage(), e);
        }
    }
}
