package dev.bkd.examples.cli;

import ai.djl.Device;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.models.schedulers.Schedulers;
import dev.bkd.serve.BkdServer;
import dev.bkd.serve.RequestLimits;
import dev.bkd.serve.ServerOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bkd serve}: the AUTOMATIC1111-compatible HTTP API and web page for one model, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve a model over HTTP with AUTOMATIC1111's /sdapi/v1 API (txt2img, progress, interrupt,"
                + " samplers, sd-models, options) and a web page at /. Runs until stopped (Ctrl-C).")
final class ServeCommand implements Callable<Integer> {
    enum DeviceName { cpu, gpu }

    @Spec
    CommandSpec spec;

    @ParentCommand
    BkdCli cli;

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE|HUB_ID",
            description = "Pipeline folder (with model_index.json), single-file checkpoint (.safetensors/.ckpt) or"
                    + " hub id in the local Hugging Face cache.")
    String model;

    @Mixin
    CheckpointMixin checkpoint;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}); any other needs --api-key.")
    String host;

    @Option(names = "--port", defaultValue = "7860", description = "TCP port (default: ${DEFAULT-VALUE}; 0: any free).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:BKD_API_KEY}",
            description = "Key every /sdapi request must send (Authorization: Bearer KEY or X-Api-Key: KEY);"
                    + " default: the BKD_API_KEY environment variable, which keeps it out of the process list.")
    String apiKey;

    @Option(names = "--workers", defaultValue = "1",
            description = "Generations at once (default: ${DEFAULT-VALUE}: one per device).")
    int workers;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "Requests that may wait; more get 503 with Retry-After (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Longest a generation request may take, waiting included (default: ${DEFAULT-VALUE}).")
    long timeout;

    @Option(names = "--max-size", paramLabel = "PX", defaultValue = "1024",
            description = "Largest width or height accepted (default: ${DEFAULT-VALUE}).")
    int maxSize;

    @Option(names = "--max-steps", defaultValue = "150", description = "Most steps accepted (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(names = "--max-images", defaultValue = "16",
            description = "Most images per request, batch_size x n_iter (default: ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "Default sampler when a request names none: pndm, ddim, ddpm, euler, euler-a, dpm++2m or"
                    + " lms (default: the model's own).")
    String scheduler;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or gpu (default: ${DEFAULT-VALUE}).")
    DeviceName device;

    @Override
    public Integer call() {
        ServerOptions options = options();
        options.checkExposure();
        PrintWriter out = spec.commandLine().getOut();
        Path folder = cli.resolve(model);
        // a folder or a single-file checkpoint; else a hub id
        String source = Files.exists(folder) ? folder.toString() : model;
        PipelineOptions po = checkpoint.apply(PipelineOptions.defaults().withScheduler(scheduler)
                .withDevice(device == DeviceName.gpu ? Device.gpu() : Device.cpu()));
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(source, po);
                BkdServer server = BkdServer.start(pipe, options)) {
            Thread main = Thread.currentThread();
            // SIGTERM / Ctrl-C: stop serving and close the pipeline before the JVM exits
            Thread hook = new Thread(() -> {
                main.interrupt();
                try {
                    main.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bkd-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("bkd serve: " + pipe.modelName() + " on " + server.url() + "/ (API: " + server.url()
                    + "/sdapi/v1/txt2img)");
            out.flush();
            try {
                server.join();
            } catch (InterruptedException stopped) {
                out.println("bkd serve: stopping");
                out.flush();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is what stopped us
                }
            }
        }
        return 0;
    }

    private ServerOptions options() {
        if (scheduler != null && !Arrays.asList(Schedulers.names()).contains(scheduler)) {
            throw bad("--scheduler \"" + scheduler + "\" is not one of " + String.join(", ", Schedulers.names()));
        }
        try {
            return new ServerOptions(host, port, apiKey == null || apiKey.isEmpty() ? null : apiKey, workers, queue,
                    Duration.ofSeconds(timeout), new RequestLimits(maxSize, maxSteps, maxImages,
                            RequestLimits.defaults().maxPromptChars(), RequestLimits.defaults().maxBodyBytes()));
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
