package dev.bkd.serve;

/** What the routes share: options, settings, progress, the queue, and the model's facts. */
record ServerContext(ServerOptions options, Settings settings, Progress progress, GenerationQueue queue,
        String modelTitle, String defaultScheduler, int defaultWidth, int defaultHeight) {}
