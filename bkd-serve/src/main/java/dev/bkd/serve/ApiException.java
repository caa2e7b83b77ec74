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
