package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: what {@code bkd generate} checks before it loads or denoises anything (items 6, 8, 9). */
class GenerateGuardsCliTest {
    @TempDir
    Path tmp;

    private Cli generate(String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", RefData.models().toString(), "--prompt",
                "a red circle", "--steps", "1", "--seed", "1"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    private static void assertFails(Cli r, String... mentions) {
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.err().startsWith("bkd: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String m : mentions) {
            assertTrue(r.err().contains(m), "expected `" + m + "` in: " + r.err());
        }
    }

    /** Item 6: an --out that cannot be written is refused before the model is even loaded. */
    @Test
    void anUnwritableOutIsRefusedBeforeLoading() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Cli r = Cli.run("generate", "--model", tmp.resolve("no-model").toString(), "--prompt", "x", "--out",
                file.resolve("sub").toString());
        assertFails(r, "--out " + file.resolve("sub"), "cannot write there", "is not a folder");
    }

    /** Item 8: sizes are bounded up front (a 30-line stack trace, or a hang, before). */
    @Test
    void hugeSizesAreOneClearLine() {
        assertFails(generate("--width", "2147483640"), "--width 2147483640 is larger than the limit of 8192");
        assertFails(generate("--height", "100000"), "--height 100000 is larger than the limit of 8192");
        assertFails(generate("--width", "4096", "--height", "4096", "--out", tmp.resolve("o").toString()),
                "1 image(s) of 4096x4096 needs at least", "choose a smaller size");
        assertFalse(Files.exists(tmp.resolve("o")) && tmp.resolve("o").toFile().list().length > 0);
    }
}
