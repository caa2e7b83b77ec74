import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load client for `bkd serve` (run by serve-load.sh; single-file Java, no dependencies): CLIENTS threads send
 * REQUESTS txt2img requests in all to a loopback URL, each waiting for its answer before the next, and print
 * p50/p95/max latency, status counts and the server's RSS (from /proc/PID/status) before, after the first
 * CLIENTS requests (warm) and at the end. Refuses any host but 127.0.0.1/localhost: it is a local benchmark.
 *
 * java benchmarks/ServeLoad.java URL SERVER_PID CLIENTS REQUESTS STEPS SIZE
 */
public class ServeLoad {
    public static void main(String[] a) throws Exception {
        URI base = URI.create(a[0]);
        if (!base.getHost().equals("127.0.0.1") && !base.getHost().equals("localhost")) {
            throw new IllegalArgumentException("loopback only, not " + base.getHost());
        }
        long pid = Long.parseLong(a[1]);
        int clients = Integer.parseInt(a[2]);
        int requests = Integer.parseInt(a[3]);
        int steps = Integer.parseInt(a[4]);
        int size = Integer.parseInt(a[5]);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        long rssBefore = rssKiB(pid);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, Integer> statuses = Collections.synchronizedMap(new TreeMap<>());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long[] rssWarm = {-1};
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    String body = "{\"prompt\": \"load test " + i + "\", \"steps\": " + steps + ", \"width\": " + size
                            + ", \"height\": " + size + ", \"seed\": " + i + ", \"sampler_name\": \"Euler a\"}";
                    HttpRequest r = HttpRequest.newBuilder(base.resolve("/sdapi/v1/txt2img"))
                            .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
                        statuses.merge(res.statusCode(), 1, Integer::sum);
                        if (res.statusCode() != 200 || !res.body().contains("\"images\":[\"")) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        statuses.merge(-1, 1, Integer::sum);
                        errors.incrementAndGet();
                    }
                    latencies.add(System.nanoTime() - s);
                    if (i == clients - 1) {
                        rssWarm[0] = rssKiB(pid);
                    }
                }
                return null;
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(2, TimeUnit.HOURS)) {
            throw new IllegalStateException("load run did not finish in 2 h");
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        long rssAfter = rssKiB(pid);
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf("| clients | requests | steps | size | wall s | req/s | p50 ms | p95 ms | max ms | errors |"
                + " statuses | RSS before MiB | RSS warm MiB | RSS after MiB |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%n");
        System.out.printf("| %d | %d | %d | %d | %.1f | %.2f | %.0f | %.0f | %.0f | %d | %s | %.0f | %.0f | %.0f |%n",
                clients, requests, steps, size, wall, requests / wall, pct(sorted, 50), pct(sorted, 95),
                sorted.get(sorted.size() - 1) / 1e6, errors.get(), statuses, rssBefore / 1024.0, rssWarm[0] / 1024.0,
                rssAfter / 1024.0);
    }

    static double pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, i)) / 1e6;
    }

    static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
