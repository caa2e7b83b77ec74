package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Malformed JSON, wrong types and absurd sizes get 400/422 (404 for an unknown sampler, like A1111; 413 for a huge
 * body) with a message naming the field, and never reach the pipeline: the generator counts its calls.
 */
class BadInputTest {
    static ServedPipeline served;
    static ServeClient client;

    @BeforeAll
    static void start() {
        served = new ServedPipeline();
        client = served.client;
    }

    @AfterAll
    static void stop() {
        served.close();
        assertEquals(0, served.calls.get(), "no bad request may reach the pipeline");
        assertEquals(0, served.server.stats().accepted());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"prompt": "x"                         | 400 | not valid JSON
            ''                                     | 400 | empty
            [1, 2]                                 | 400 | JSON object
            "just a string"                        | 400 | JSON object
            {"steps": "20"}                        | 422 | `steps` must be an integer, got a string
            {"steps": 2.5}                         | 422 | `steps` must be a whole number
            {"steps": 1e9}                         | 422 | `steps` = 1.0E9 is out of range 1..150
            {"steps": 0}                           | 422 | out of range
            {"width": 100000}                      | 422 | `width` = 100000 is out of range 8..1024
            {"height": 63}                         | 422 | multiple of 8
            {"width": true}                        | 422 | `width` must be an integer, got true
            {"batch_size": 1000000}                | 422 | `batch_size` = 1000000 is out of range 1..16
            {"batch_size": 8, "n_iter": 8}         | 422 | at most 16 per request
            {"seed": 1e300}                        | 422 | `seed`
            {"seed": -2}                           | 422 | `seed`
            {"cfg_scale": 1e308}                   | 422 | `cfg_scale`
            {"prompt": 5}                          | 422 | `prompt` must be a string
            {"prompt": ["a", "b"]}                 | 422 | `prompt` must be a string, got an array
            {"override_settings": "x"}             | 422 | `override_settings` must be a JSON object
            {"override_settings": {"CLIP_stop_at_last_layers": 99}} | 422 | CLIP_stop_at_last_layers
            {"override_settings": {"sd_model_checkpoint": "other"}} | 404 | model `other` not found
            {"enable_hr": true}                    | 422 | `enable_hr` = true is not supported
            {"sampler_name": "Heun"}               | 404 | sampler `Heun` not found
            {"send_images": "yes"}                 | 422 | `send_images` must be true or false
            """)
    void refused(String body, int status, String message) {
        ServeClient.Answer a = client.post("/sdapi/v1/txt2img", body);
        assertEquals(status, a.status(), a.text());
        assertTrue(a.json().get("detail").asText().contains(message), a.text());
        assertEquals(a.json().get("detail"), a.json().get("errors"));
    }

    @ParameterizedTest(name = "body of {0} bytes -> 413")
    @CsvSource({"9000000"})
    void hugeBodyIsRefusedUnread(int bytes) {
        ServeClient.Answer a = client.post("/sdapi/v1/txt2img", "{\"prompt\": \"" + "a".repeat(bytes) + "\"}");
        assertEquals(413, a.status(), a.text());
    }
}
