package dev.bkd.serve;

import java.util.Map;

/**
 * A request the API answers with an error: an HTTP status, a short error name and a message that names the field
 * or setting and what to do. Rendered like AUTOMATIC1111's error bodies ({@code error}, {@code detail},
 * {@code body}, {@code errors}) so its clients show the message.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String error;
    private final Map<String, String> headers;

    public ApiException(int status, String error, String message) {
        this(status, error, message, Map.of());
    }

    public ApiException(int status, String error, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.error = error;
        this.headers = Map.copyOf(headers);
    }

    /** 400: the body is not JSON (or not a JSON object). */
    static ApiException malformed(String message) {
        return new ApiException(400, "MalformedJSON", message);
    }

    /** 422: JSON, but a field has the wrong type or an out-of-range value (FastAPI's status for this). */
    static ApiException invalid(String field, String message) {
        return new ApiException(422, "ValidationError", "`" + field + "` " + message);
    }

    /**
     * Errors the pipeline raises about what the client sent (a prompt over the length caps, a request the model
     * cannot run): the client's mistake, so 422 like the server's own field checks, not a 500 that reads as a fault.
     */
    private static final java.util.List<Class<? extends Exception>> CLIENT_ERRORS = java.util.List.of(
            dev.bkd.models.prompt.PromptException.class, dev.bkd.models.pipeline.GenerationRequestException.class);

    /** The answer to a generation that threw {@code e}: 422 for {@link #CLIENT_ERRORS}, else 500. */
    static ApiException fromFailure(Throwable e) {
        if (e instanceof ApiException a) {
            return a;
        }
        boolean client = CLIENT_ERRORS.stream().anyMatch(c -> c.isInstance(e));
        return new ApiException(client ? 422 : 500, e.getClass().getSimpleName(),
                (client ? "" : "generation failed: ") + e.getMessage());
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    /** Extra response headers (Retry-After for 503, WWW-Authenticate for 401). */
    public Map<String, String> headers() {
        return headers;
    }
}
