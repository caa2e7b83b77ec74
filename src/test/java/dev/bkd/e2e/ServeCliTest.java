package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import dev.bkd.examples.cli.BkdCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code bkd serve} starts (here from a single-file checkpoint with its config folder), answers the A1111 API, and
 * stops cleanly when its thread is interrupted.
 */
class ServeCliTest {
    @Test
    void servesUntilInterrupted() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread t = new Thread(() -> code.set(BkdCli.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "serve", "--model", RefData.file("checkpoints", "sd1/sd-tiny.safetensors").toString(), "--config",
                RefData.models().toString(), "--port", "0", "--scheduler", "ddim")));
        t.start();
        Pattern url = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+)/");
        Matcher m = url.matcher("");
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!(m = url.matcher(out.toString())).find()) {
            assertTrue(t.isAlive(), "serve ended early: " + err);
            assertTrue(System.nanoTime() < end, "no URL printed: " + out + err);
            Thread.sleep(20);
        }
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/sdapi/v1/txt2img"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"cli\", \"steps\": 1, \"width\": 32,"
                        + " \"height\": 32}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\\\"sampler_name\\\": \\\"DDIM\\\"") || r.body().contains("\\\"sampler_name\\\":\\\"DDIM\\\""),
                "--scheduler ddim is the default sampler: " + r.body().substring(0, Math.min(400, r.body().length())));
        t.interrupt();
        t.join(30_000);
        assertEquals(0, code.get(), err.toString());
    }

    @Test
    void exposedWithoutKeyIsRefused() {
        Cli r = Cli.run("serve", "--model", RefData.models().toString(), "--host", "0.0.0.0", "--port", "0");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--api-key"), r.err());
    }
}
