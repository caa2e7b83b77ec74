package dev.bkd.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes: A1111's {@code /sdapi/v1/*} endpoints and the web page at {@code /}, as a table of path -> method ->
 * endpoint. Generation requests are answered asynchronously when their job finishes; the Jetty thread is free
 * while they wait. Every error is JSON with A1111's fields ({@code error}, {@code detail}, {@code body},
 * {@code errors}).
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);

    /** One endpoint: the request (body already read for POST) to an answer, possibly later. */
    @FunctionalInterface
    private interface Endpoint {
        CompletableFuture<Reply> handle(Exchange ex);
    }

    /** What an endpoint sees. */
    private record Exchange(Request request, Response response, byte[] body) {}

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Map<String, Endpoint>> routes;
    private final ServerContext ctx;
    private final byte[] page;

    ApiHandler(ServerContext ctx) {
        this.ctx = ctx;
        this.page = WebPage.bytes();
        routes = Map.of(
                "/", Map.of("GET", ex -> done(new Reply(200, "text/html; charset=utf-8", page, Map.of()))),
                "/sdapi/v1/txt2img", Map.of("POST", ex -> generate(ex, false)),
                "/sdapi/v1/img2img", Map.of("POST", ex -> generate(ex, true)),
                "/sdapi/v1/progress", Map.of("GET", ex -> done(jsonReply(ctx.progress().toJson(json)))),
                "/sdapi/v1/interrupt", Map.of("POST", ex -> {
                    ctx.queue().interrupt();
                    return done(Reply.json("{}"));
                }),
                "/sdapi/v1/samplers", Map.of("GET", ex -> done(jsonReply(samplers()))),
                "/sdapi/v1/sd-models", Map.of("GET", ex -> done(jsonReply(models()))),
                "/sdapi/v1/options", Map.of("GET", ex -> done(jsonReply(ctx.settings().toJson(json))),
                        "POST", this::setOptions));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        CompletableFuture<Reply> reply;
        try {
            Map<String, Endpoint> byMethod = routes.get(path);
            if (byMethod == null) {
                throw new ApiException(404, "NotFound", "no endpoint " + path + " (this server has "
                        + String.join(", ", new java.util.TreeSet<>(routes.keySet())) + ")");
            }
            Endpoint e = byMethod.get(request.getMethod());
            if (e == null) {
                throw new ApiException(405, "MethodNotAllowed", path + " takes " + String.join(" or ",
                        byMethod.keySet()) + ", not " + request.getMethod(), Map.of("Allow",
                                String.join(", ", byMethod.keySet())));
            }
            if (path.startsWith("/sdapi/")) {
                checkKey(request);
            }
            byte[] body = "POST".equals(request.getMethod()) ? readBody(request) : new byte[0];
            reply = e.handle(new Exchange(request, response, body));
        } catch (ApiException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((r, err) -> send(response, callback, r != null ? r : errorReply(err)));
        return true;
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private Reply jsonReply(JsonNode node) {
        try {
            return Reply.json(json.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkKey(Request request) {
        String key = ctx.options().apiKey();
        if (key == null) {
            return;
        }
        String given = request.getHeaders().get("X-Api-Key");
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (given == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = auth.substring(7).trim();
        }
        // constant-time comparison: the time taken must not tell how much of a guess was right
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                key.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "Unauthorized", given == null
                    ? "this server needs an API key: send `Authorization: Bearer KEY` or `X-Api-Key: KEY`"
                    : "wrong API key", Map.of("WWW-Authenticate", "Bearer"));
        }
    }

    /** The body, refused with 413 past the limit without reading the rest. */
    /** Bodies up to this size are read and discarded before a 413, so the client sees the answer. */
    private static final long DRAIN_LIMIT = 64L << 20;

    private byte[] readBody(Request request) {
        int max = ctx.options().limits().maxBodyBytes();
        long declared = request.getLength();
        if (declared > max) {
            // Answering while the client still sends makes many clients (Java's HttpClient, curl) report a broken
            // connection instead of the 413: read the rest into nothing first (no allocation), up to a cap past
            // which the connection is simply closed.
            if (declared <= DRAIN_LIMIT) {
                try (InputStream in = Content.Source.asInputStream(request)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // the client gave up; the 413 below is all there is to say
                }
            }
            throw new ApiException(413, "PayloadTooLarge", "the body has " + declared + " bytes; at most " + max
                    + " are accepted");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                throw new ApiException(413, "PayloadTooLarge", "the body has more than " + max + " bytes");
            }
            return b;
        } catch (IOException e) {
            throw new ApiException(400, "BadBody", "cannot read the request body: " + e.getMessage());
        }
    }

    private JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw ApiException.malformed("the request body is empty; send a JSON object");
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            String m = e.getMessage();
            int cut = m.indexOf("\n at [Source");
            throw ApiException.malformed("the body is not valid JSON: " + (cut > 0 ? m.substring(0, cut) : m));
        }
    }

    private CompletableFuture<Reply> generate(Exchange ex, boolean img2img) {
        GenerateParams p = GenerateParams.parse(parse(ex.body()), ctx.options().limits(), ctx.settings(),
                ctx.defaultWidth(), ctx.defaultHeight(), json, img2img);
        Job job = new Job(p);
        ctx.queue().submit(job);
        ClientGone.watch(ex.request(), ex.response(), () -> {
            job.stop(Job.Stop.DISCONNECT);
            job.result.completeExceptionally(new ApiException(499, "ClientClosed", "the client closed the"
                    + " connection"));
        });
        return job.result.thenApply(r -> generateReply(p, r));
    }

    private Reply generateReply(GenerateParams p, GenerateResult r) {
        ObjectNode out = json.createObjectNode();
        ArrayNode images = out.putArray("images");
        Base64.Encoder b64 = Base64.getEncoder();
        r.pngs().forEach(png -> images.add(b64.encodeToString(png)));
        out.set("parameters", p.parameters());
        ObjectNode info = json.createObjectNode();
        info.put("prompt", p.prompt());
        ArrayNode prompts = info.putArray("all_prompts");
        ArrayNode negatives = info.putArray("all_negative_prompts");
        r.seeds().forEach(s -> {
            prompts.add(p.prompt());
            negatives.add(p.negativePrompt());
        });
        info.put("negative_prompt", p.negativePrompt());
        info.put("seed", r.seeds().isEmpty() ? p.seed() : r.seeds().get(0));
        ArrayNode seeds = info.putArray("all_seeds");
        r.seeds().forEach(seeds::add);
        info.put("width", p.width()).put("height", p.height())
                .put("sampler_name", Samplers.ofScheduler(p.sampler() == null ? ctx.defaultScheduler()
                        : p.sampler().scheduler()).name())
                .put("cfg_scale", p.cfgScale()).put("steps", p.steps()).put("batch_size", p.batchSize())
                .put("n_iter", p.nIter()).put("clip_skip", p.clipSkip()).put("sd_model_name", ctx.modelTitle())
                .putNull("sd_model_hash");
        if (p.image() != null) {
            info.put("denoising_strength", p.image().strength());
        }
        ArrayNode infotexts = info.putArray("infotexts");
        r.infotexts().forEach(infotexts::add);
        info.put("index_of_first_image", 0).put("job_timestamp", r.jobTimestamp())
                .put("interrupted", r.interrupted()).put("version", "bkd");
        ArrayNode ignored = info.putArray("ignored_override_settings");
        p.ignoredSettings().forEach(ignored::add);
        try {
            out.put("info", json.writeValueAsString(info));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return jsonReply(out);
    }

    private CompletableFuture<Reply> setOptions(Exchange ex) {
        JsonNode body = parse(ex.body());
        if (!body.isObject()) {
            throw ApiException.malformed("the options body must be a JSON object of option name -> value");
        }
        Settings.Checked c = ctx.settings().check(body);
        ctx.settings().apply(c);
        ObjectNode out = json.createObjectNode();
        ArrayNode ignored = out.putArray("ignored");
        c.ignored().forEach(ignored::add);
        return done(jsonReply(out));
    }

    private JsonNode samplers() {
        ArrayNode out = json.createArrayNode();
        for (Samplers.Sampler s : Samplers.TABLE) {
            ObjectNode o = out.addObject();
            o.put("name", s.name());
            ArrayNode aliases = o.putArray("aliases");
            s.aliases().forEach(aliases::add);
            aliases.add(s.scheduler());
            o.putObject("options").put("bkd_scheduler", s.scheduler());
        }
        return out;
    }

    private JsonNode models() {
        ArrayNode out = json.createArrayNode();
        ObjectNode m = out.addObject();
        m.put("title", ctx.modelTitle()).put("model_name", ctx.modelTitle()).putNull("hash").putNull("sha256")
                .put("filename", ctx.modelTitle()).putNull("config");
        return out;
    }

    private Reply errorReply(Throwable err) {
        Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        ApiException api = e instanceof ApiException a ? a : new ApiException(500, e.getClass().getSimpleName(),
                "internal error: " + e.getMessage());
        if (api.status() >= 500 && !(e instanceof ApiException)) {
            LOG.error("request failed", e);
        }
        ObjectNode o = json.createObjectNode();
        o.put("error", api.error()).put("detail", api.getMessage()).put("body", "").put("errors", api.getMessage());
        Reply r = jsonReply(o);
        return new Reply(api.status(), r.contentType(), r.body(), api.headers());
    }

    private static void send(Response response, Callback callback, Reply r) {
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("response already committed"));
            return;
        }
        response.setStatus(r.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, r.contentType());
        r.headers().forEach((k, v) -> response.getHeaders().put(k, v));
        response.write(true, ByteBuffer.wrap(r.body()), callback);
    }
}
