package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import java.io.ByteArrayOutputStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Java API" block, read from README.md (no hand-kept copy), compiled with the JDK's compiler against
 * the test class path and run. Its imports stay imports; its statements become a method body. The only changes
 * are the {@link #SUBSTITUTIONS} below, each of which must still find its text, so README and test cannot drift
 * apart unnoticed.
 */
class ReadmeJavaTest {
    /** Text in the README block, and what the test runs instead (tiny model, tiny data, 2 steps, a temp dir). */
    private record Substitution(String readme, String test) {}

    private static final List<Substitution> SUBSTITUTIONS = List.of(
            new Substitution("Path.of(\"stable-diffusion-v1-5\")", "Path.of(MODEL)"),
            new Substitution("Path.of(\"my-images\")", "Path.of(DATA)"),
            new Substitution(".steps(25)", ".steps(2)"),
            new Substitution(".steps(1000)", ".steps(2)"),
            new Substitution(".resolution(512)", ".resolution(32)"),
            new Substitution("Path.of(\"outputs\")", "WORK.resolve(\"outputs\")"),
            new Substitution("Path.of(\"tiny\")", "WORK.resolve(\"tiny\")"),
            new Substitution("Path.of(\"student\")", "WORK.resolve(\"student\")"));

    @Test
    void javaApiBlockCompilesAndRuns(@TempDir Path work) throws Exception {
        List<String> block = javaBlockUnder("## Java API");
        assertEquals(0, Cli.runIn(work, "demo-data", "--out", "data", "--count", "8").code());
        Path src = work.resolve("src/ReadmeBlock.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, program(block, RefData.models(), work.resolve("data"), work));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        Path classes = Files.createDirectories(work.resolve("classes"));
        int rc = javac.run(null, diagnostics, diagnostics, "-d", classes.toString(), "-cp", testClassPath(),
                src.toString());
        assertEquals(0, rc, "the README's Java block does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            loader.loadClass("ReadmeBlock").getMethod("run").invoke(null);
        }
        try (var pngs = Files.list(work.resolve("outputs"))) {
            assertEquals(List.of("00000-42.png"), pngs.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(Files.isRegularFile(work.resolve("tiny/unet/config.json")), "the pruned student");
        assertTrue(Files.isRegularFile(work.resolve("student/unet/diffusion_pytorch_model.safetensors")), "the distilled student");
    }

    /** The lines of the first ```java block after the heading. */
    static List<String> javaBlockUnder(String heading) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("").toAbsolutePath().getParent().getParent().resolve("README.md"));
        int h = lines.indexOf(heading);
        assertTrue(h >= 0, "README.md has no heading " + heading);
        int start = h + 1;
        while (!lines.get(start).strip().equals("```java")) {
            start++;
        }
        List<String> block = new ArrayList<>();
        for (int i = start + 1; !lines.get(i).strip().equals("```"); i++) {
            block.add(lines.get(i));
        }
        return block;
    }

    /** A class whose imports are the block's and whose {@code run()} body is the rest of it, substituted. */
    static String program(List<String> block, Path model, Path data, Path work) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : block) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        String code = body.toString();
        for (Substitution s : SUBSTITUTIONS) {
            assertTrue(code.contains(s.readme()), "the README's Java block no longer contains " + s.readme()
                    + ": update ReadmeJavaTest.SUBSTITUTIONS with what it uses now");
            code = code.replace(s.readme(), s.test());
        }
        return imports + "public class ReadmeBlock {\n"
                + "    static final String MODEL = " + quoted(model) + ", DATA = " + quoted(data) + ";\n"
                + "    static final java.nio.file.Path WORK = java.nio.file.Path.of(" + quoted(work) + ");\n"
                + "    public static void run() throws Exception {\n" + code + "    }\n}\n";
    }

    private static String quoted(Path p) {
        return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Surefire runs tests from a manifest-only jar; the real class path is in this property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null ? cp : System.getProperty("java.class.path");
    }
}
