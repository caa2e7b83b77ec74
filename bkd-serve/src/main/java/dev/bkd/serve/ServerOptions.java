package dev.bkd.serve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * How {@link BkdServer} listens and schedules work.
 *
 * @param host address to bind; anything but a loopback address needs an {@code apiKey}
 * @param port TCP port (0: any free port, see {@link BkdServer#port()})
 * @param apiKey when set, every {@code /sdapi} request must send it ({@code Authorization: Bearer KEY} or
 *     {@code X-Api-Key: KEY}); null: no key
 * @param workers generations that run at once; 1 (one per device) unless the pipeline is shared on purpose
 * @param queueCapacity requests that may wait behind the running ones; more get 503 with Retry-After
 * @param timeout longest time a generation request may take, waiting included (504 after it)
 * @param limits the largest request accepted
 */
public record ServerOptions(String host, int port, String apiKey, int workers, int queueCapacity, Duration timeout,
        RequestLimits limits) {
    public ServerOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        }
        if (workers < 1 || queueCapacity < 0) {
            throw new IllegalArgumentException("workers must be >= 1 and queue capacity >= 0 (got " + workers
                    + ", " + queueCapacity + ")");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive (got " + timeout + ")");
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("an API key must not be blank");
        }
    }

    /** 127.0.0.1:7860 (A1111's port), no key, one worker, 16 waiting, 10 minutes, {@link RequestLimits#defaults()}. */
    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", 7860, null, 1, 16, Duration.ofMinutes(10), RequestLimits.defaults());
    }

    /**
     * Refuses to expose the API beyond this machine without a key (a generation endpoint is costly to leave open);
     * called by {@link BkdServer#start}, and by the CLI before it loads a model.
     */
    public void checkExposure() {
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ServeException("--host " + host + " is not an address of this machine", e);
        }
        if (!loopback && apiKey == null) {
            throw new ServeException("--host " + host + " is reachable from other machines: give --api-key KEY"
                    + " (clients send `Authorization: Bearer KEY`), or bind 127.0.0.1");
        }
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, apiKey, workers, queueCapacity, timeout, limits);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, apiKey, workers, queueCapacity, timeout, limits);
    }

    public ServerOptions withApiKey(String k) {
        return new ServerOptions(host, port, k, workers, queueCapacity, timeout, limits);
    }

    public ServerOptions withWorkers(int w) {
        return new ServerOptions(host, port, apiKey, w, queueCapacity, timeout, limits);
    }

    public ServerOptions withQueueCapacity(int q) {
        return new ServerOptions(host, port, apiKey, workers, q, timeout, limits);
    }

    public ServerOptions withTimeout(Duration t) {
        return new ServerOptions(host, port, apiKey, workers, queueCapacity, t, limits);
    }

    public ServerOptions withLimits(RequestLimits l) {
        return new ServerOptions(host, port, apiKey, workers, queueCapacity, timeout, l);
    }
}
