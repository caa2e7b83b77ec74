package dev.bkd.serve;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** An HTTP answer: status, content type, body, extra headers. */
record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json";

    static Reply json(String text) {
        return new Reply(200, JSON, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
