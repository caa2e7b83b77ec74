package dev.bkd.core.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Issue 13 item 9: invalid LoRA metadata (`lora_alpha: "abc"`, `r: 0`) was skipped silently, changing the scale. */
class LoraMetadataValidationTest {
    private static String error(String json) {
        return assertThrows(LoraFileException.class, () -> LoraMetadata.parse(json, "x.safetensors")).getMessage();
    }

    @Test
    void wrongTypesAreNamed() {
        String e = error("{\"unet.r\": 4, \"unet.lora_alpha\": \"abc\"}");
        assertTrue(e.contains("x.safetensors") && e.contains("`unet.lora_alpha` is \"abc\"; expected a finite number"), e);
        e = error("{\"unet.r\": 0, \"unet.lora_alpha\": 4}");
        assertTrue(e.contains("`unet.r` is 0; expected a whole number >= 1"), e);
        e = error("{\"unet.r\": 4, \"unet.alpha_pattern\": {\"to_q\": \"big\"}}");
        assertTrue(e.contains("`unet.alpha_pattern[\"to_q\"]` is \"big\""), e);
        e = error("{\"text_encoder.rank_pattern\": {\"q_proj\": 2.5}}");
        assertTrue(e.contains("`text_encoder.rank_pattern[\"q_proj\"]` is 2.5"), e);
    }

    @Test
    void validMetadataStillReads() {
        LoraMetadata m = LoraMetadata.parse("{\"unet.r\": 4, \"unet.lora_alpha\": 8, \"unet.alpha_pattern\": "
                + "{\"to_q\": 2}, \"unet.target_modules\": [\"to_q\"]}", "x");
        assertEquals(8.0, m.alpha("unet", "down.attn1.to_k", 4));
        assertEquals(2.0, m.alpha("unet", "down.attn1.to_q", 4));
    }
}
