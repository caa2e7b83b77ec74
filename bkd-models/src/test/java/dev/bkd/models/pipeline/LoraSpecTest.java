package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.BkdException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LoraSpecTest {
    @Test
    void fileWithOptionalScale() {
        assertEquals(new LoraSpec(Path.of("a.safetensors"), 1.0), LoraSpec.parse("a.safetensors"));
        assertEquals(new LoraSpec(Path.of("a.safetensors"), 0.75), LoraSpec.parse("a.safetensors:0.75"));
        assertEquals(new LoraSpec(Path.of("dir/lora"), -1.0), LoraSpec.parse("dir/lora:-1"));
        assertEquals(new LoraSpec(Path.of("x:y.safetensors"), 0.5), LoraSpec.parse("x:y.safetensors:0.5"));
        assertEquals(new LoraSpec(Path.of("C:\\l\\a.safetensors"), 1.0), LoraSpec.parse("C:\\l\\a.safetensors"));
        assertEquals(new LoraSpec(Path.of("a"), 1e-1), LoraSpec.parse("a:1e-1"));
    }

    @Test
    void badValuesSayWhatIsExpected() {
        assertTrue(assertThrows(BkdException.class, () -> LoraSpec.parse("a.safetensors:")).getMessage()
                .contains("FILE:SCALE"));
        assertThrows(BkdException.class, () -> LoraSpec.parse(" "));
        assertThrows(BkdException.class, () -> new LoraSpec(Path.of("a"), Double.NaN));
    }
}
