package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prompt the pipeline itself refuses (over A1111 parsing's caps) is the client's mistake: 422 with the pipeline's
 * message, like the server's own field checks, not a 500.
 */
class PromptErrorsTest {
    static ServedPipeline served;

    @BeforeAll
    static void start() {
        served = new ServedPipeline();
    }

    @AfterAll
    static void stop() {
        served.close();
    }

    @Test
    void aThousandBreaksIs422WithTheReason() {
        String prompt = "a red circle BREAK ".repeat(1000);
        ServeClient.Answer a = served.client.post("/sdapi/v1/txt2img",
                "{\"prompt\": \"" + prompt + "\", \"steps\": 1, \"width\": 64, \"height\": 64}");
        assertEquals(422, a.status(), a.text());
        assertEquals("PromptException", a.json().get("error").asText(), a.text());
        assertTrue(a.json().get("detail").asText().startsWith("prompt: needs more than 32 chunks"), a.text());
    }
}
