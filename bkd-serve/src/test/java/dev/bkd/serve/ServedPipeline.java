package dev.bkd.serve;

import dev.bkd.core.testing.RefData;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import java.util.concurrent.atomic.AtomicInteger;

/** The tiny reference pipeline behind a server on a free loopback port, counting the calls that reach it. */
final class ServedPipeline implements AutoCloseable {
    final DiffusionPipeline pipe;
    final BkdServer server;
    final ServeClient client;
    final AtomicInteger calls = new AtomicInteger();

    ServedPipeline() {
        pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
        server = BkdServer.start(pipe, r -> {
            calls.incrementAndGet();
            return pipe.generate(r);
        }, ServerOptions.defaults().withPort(0));
        client = new ServeClient(server);
    }

    @Override
    public void close() {
        server.close();
        pipe.close();
    }
}
