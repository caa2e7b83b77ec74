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
                "a red circle", "--steps", "1"));
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

    /** Item 9: an empty --model, a batch-0 --latents file (blamed on --num-images before). */
    @Test
    void emptyModelAndAnEmptyLatentsBatchAreNamed() throws Exception {
        assertFails(Cli.run("generate", "--model", "", "--prompt", "x"), "--model is empty");
        assertFails(Cli.run("convert", "--model", "", "--out", tmp.resolve("c").toString(), "--dtype", "float16"),
                "--model", "is empty; name a file or folder");
        Path f = tmp.resolve("empty.safetensors");
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            dev.bkd.core.safetensors.SafetensorsWriter.write(f,
                    java.util.Map.of("latents", m.zeros(new ai.djl.ndarray.types.Shape(0, 4, 8, 8))));
        }
        Cli r = generate("--latents", f.toString(), "--out", tmp.resolve("o").toString());
        assertFails(r, "--latents " + f, "a batch of 0 images");
        assertFalse(r.err().contains("--num-images"), r.err());
    }

    private static String seedOf(Path png) throws Exception {
        String text = dev.bkd.core.testing.PngText.read(png).get("parameters").text();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Seed: ([^,]+),").matcher(text);
        assertTrue(m.find(), text);
        return m.group(1);
    }

    /** Item 9: --seed -1 draws a random seed and records it (as A1111); torch's seeds up to 2^64-1 work. */
    @Test
    void seedMinusOneIsRandomAndRecordedAndUnsignedSeedsWork() throws Exception {
        Cli r = generate("--seed", "-1", "--out", tmp.resolve("a").toString());
        assertEquals(0, r.code(), r.err());
        String seed = seedOf(Path.of(r.out().strip()));
        assertTrue(Long.parseUnsignedLong(seed) >= 0 && !seed.equals("-1"), seed);
        r = generate("--seed", "18446744073709551615", "--out", tmp.resolve("b").toString());
        assertEquals(0, r.code(), r.err());
        Path png = Path.of(r.out().strip());
        assertTrue(png.getFileName().toString().endsWith("-18446744073709551615.png"), png.toString());
        assertEquals("18446744073709551615", seedOf(png));
        assertFails(generate("--seed", "-2"), "`-2` is not a seed");
        assertFails(generate("--seed", "18446744073709551616"), "is not a seed");
    }

    /** Item 9: plain prompt syntax truncates at 77 tokens like diffusers, now with a warning naming what is dropped. */
    @Test
    void plainSyntaxWarnsWhenItTruncates() {
        String longPrompt = "a red circle" + ", a blue square".repeat(30); // 3 + 30 * 4 CLIP tokens
        Cli r = Cli.run("generate", "--model", RefData.models().toString(), "--prompt", longPrompt, "--steps", "1",
                "--prompt-syntax", "plain", "--out", tmp.resolve("p").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: --prompt has 123 tokens; with --prompt-syntax plain the text encoder"
                + " sees only the first 75, dropping: \"") && r.err().contains("blue square"), r.err());
        r = Cli.run("generate", "--model", RefData.models().toString(), "--prompt", longPrompt, "--steps", "1",
                "--out", tmp.resolve("q").toString());
        assertFalse(r.err().contains("warning: --prompt has"), "a1111 syntax drops nothing: " + r.err());
    }
}
