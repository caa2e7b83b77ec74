package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.testing.RefData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's CLI examples run as written: every {@code ./bkd ...} line of its {@code ```bash} blocks, in README
 * order, in one temporary working directory (a command may use what an earlier one wrote), through the in-process
 * CLI, with the README's reference folder pointing at the test reference data. Each must exit 0 and leave what
 * {@link #EXPECT} says it leaves: the files under its {@code --out}, the lines it prints.
 */
@org.junit.jupiter.api.Tag("slow") // minutes on 2 cores: left out of mvn -Pquick, always in CI
class ReadmeCliTest {
    /** How the README names the tiny reference pipeline; replaced by the folder {@link RefData} finds. */
    private static final String REFERENCE = "../shared/reference/sd-tiny/models";
    /** How the README names the other reference sets (checkpoints, img2img, ...): ../shared/reference/NAME. */
    private static final String REFERENCE_SETS = "../shared/reference/";

    /** A README command not run here: matched on its text after {@code ./bkd } (variables expanded). */
    record Skip(Pattern command, String why) {}

    /**
     * The only README commands not run, each with why. A command added to the README either runs in seconds on the
     * reference pipeline as written or gets a rule here (a command that needs a download or takes minutes).
     */
    private static final List<Skip> NOT_RUN = List.of(
            // with --model $M it runs on the reference pipeline in seconds (BenchmarkCliTest)
            new Skip(Pattern.compile("^benchmark(?!.*--model)"),
                    "random SD1.5-size UNets: minutes and several GB of RAM on a CPU"),
            new Skip(Pattern.compile("^demo(?!-)(?!.*--quick)"), "the full demo distills for tens of minutes"),
            new Skip(Pattern.compile("runwayml/|stabilityai/|CompVis/"), "needs a downloaded model"),
            new Skip(Pattern.compile("--device cuda"), "needs a GPU (DoctorCliTest checks the refusal on CPU)"),
            new Skip(Pattern.compile("openai/clip"), "needs the downloaded CLIP model (bkd eval; EvalCliTest runs it on tiny ones)"),
            new Skip(Pattern.compile("(^|\\s)recipe/"), "the demo teacher's training recipe: about an hour on 2 cores"),
            new Skip(Pattern.compile("^serve "), "serves until stopped (ServeCliTest starts, calls and stops it)"));

    /**
     * What a README command must leave behind: files (globs) under its {@code --out} folder and text its output
     * contains. The first rule whose pattern finds the command applies; a command no rule names must still have
     * written a non-empty {@code --out} or printed something.
     */
    record Expect(Pattern command, List<String> outFiles, List<String> printed) {}

    private static final List<Expect> EXPECT = List.of(
            new Expect(Pattern.compile("^inspect \\S+/unet$"), List.of(),
                    List.of("down 0  down_blocks.0", "parameters", "MACs")),
            new Expect(Pattern.compile("^inspect \\S+$"), List.of(),
                    List.of("StableDiffusionPipeline", "[text_encoder] transformers.CLIPTextModel", "[unet]")),
            new Expect(Pattern.compile("^tokenize "), List.of(), List.of("49406  <|startoftext|>", "18376  astronaut</w>")),
            new Expect(Pattern.compile("^generate "), List.of("*.png"), List.of()),
            new Expect(Pattern.compile("^prune "), List.of("model_index.json", "unet/config.json",
                    "unet/diffusion_pytorch_model.safetensors"), List.of()),
            new Expect(Pattern.compile("^demo-data "), List.of("metadata.jsonl", "**.png"), List.of()),
            new Expect(Pattern.compile("^(distill|finetune) "), List.of("model_index.json", "unet/config.json",
                    "unet/diffusion_pytorch_model.safetensors", "metrics.jsonl"), List.of()),
            new Expect(Pattern.compile("^lora "), List.of("pytorch_lora_weights.safetensors"), List.of()),
            new Expect(Pattern.compile("^benchmark "), List.of(), List.of("teacher", "tiny")));

    /** An all-caps word such as DATA_DIR: a placeholder the reader would have to replace. */
    private static final Pattern PLACEHOLDER = Pattern.compile("(?<![\\w$.-])[A-Z][A-Z0-9_]+(?![\\w-])");
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Za-z_]\\w*)=(\\S+)$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_]\\w*)}?");

    /** One {@code ./bkd} line: its README line number, text (variables expanded) and arguments. */
    record Command(int line, String text, List<String> args) {}

    /**
     * What the README asks: the commands to run, in order; the ones skipped, each with why; and why the README cannot
     * run as written (empty when it can).
     */
    record Plan(List<Command> run, List<String> skipped, List<String> problems) {}

    @Test
    void everyRunnableReadmeCommandExitsZero(@TempDir Path work) throws IOException {
        Plan plan = plan(Files.readAllLines(readme()));
        plan.skipped().forEach(System.out::println);
        assertEquals(List.of(), plan.problems());
        assertFalse(plan.run().isEmpty(), "the README has no runnable ./bkd commands");
        for (Command c : plan.run()) {
            long t0 = System.nanoTime();
            Cli r = Cli.runIn(work, c.args().toArray(String[]::new));
            System.out.printf("README line %d: %.1f s, exit %d: ./bkd %s%n", c.line(), (System.nanoTime() - t0) / 1e9,
                    r.code(), c.text());
            assertEquals(0, r.code(), "README line " + c.line() + ": ./bkd " + c.text() + "\n" + r.err() + r.out());
            checkOutputs(c, r, work);
        }
    }

    /** The files and lines {@link #EXPECT} asks of one command that ran. */
    private static void checkOutputs(Command c, Cli r, Path work) throws IOException {
        String where = "README line " + c.line() + ": ./bkd " + c.text();
        int o = c.args().indexOf("--out");
        Path out = o >= 0 && o + 1 < c.args().size() ? work.resolve(c.args().get(o + 1)) : null;
        Expect e = EXPECT.stream().filter(x -> x.command().matcher(c.text()).find()).findFirst().orElse(null);
        if (e == null) {
            if (out != null) {
                assertTrue(Files.isDirectory(out) ? Files.list(out).findAny().isPresent() : Files.size(out) > 0,
                        where + " wrote nothing to " + out);
            } else {
                assertFalse((r.out() + r.err()).isBlank(), where + " printed nothing");
            }
            return;
        }
        for (String glob : e.outFiles()) {
            assertNotNull(out, where + " has no --out to look for " + glob + " in");
            java.nio.file.PathMatcher m = out.getFileSystem().getPathMatcher("glob:" + glob);
            try (var files = Files.walk(out)) {
                assertTrue(files.anyMatch(f -> Files.isRegularFile(f) && m.matches(out.relativize(f))),
                        where + " did not write " + glob + " under " + out);
            }
        }
        for (String text : e.printed()) {
            assertTrue((r.out() + r.err()).contains(text), where + " did not print \"" + text + "\":\n" + r.out() + r.err());
        }
    }

    /** The rules on a made-up README: bash blocks only, variables, comments, the skip list, placeholders. */
    @Test
    void placeholdersFailSkipsNeedARuleAndOnlyBashBlocksCount() {
        Plan plan = plan(List.of(
                "./bkd inspect NOT_IN_A_BLOCK",
                "```bash",
                "M=" + REFERENCE,
                "./bkd prune --teacher $M/unet --variant tiny --out o   # or SPEC.json",
                "./bkd distill --teacher $M --data DATA_DIR --out 'out dir'",
                "./bkd benchmark --size 512 --steps 3",
                "./bkd demo",
                "./bkd demo --quick \\",
                "      --out d   # continued",
                "./bkd demo-data --out recipe/data",
                "```",
                "```java",
                "./bkd generate --model X",
                "```"));
        assertEquals(List.of(4, 5, 8), plan.run().stream().map(Command::line).toList());
        assertEquals(List.of("demo", "--quick", "--out", "d"), plan.run().get(2).args());
        assertEquals(3, plan.skipped().size(), plan.skipped().toString());
        assertTrue(plan.skipped().get(2).contains("training recipe"), plan.skipped().get(2));
        assertTrue(plan.skipped().get(1).startsWith("README line 7 not run (the full demo"), plan.skipped().get(1));
        assertEquals(List.of("prune", "--teacher", RefData.models() + "/unet", "--variant", "tiny", "--out", "o"),
                plan.run().get(0).args());
        assertEquals("out dir", plan.run().get(1).args().get(6));
        assertEquals(1, plan.problems().size(), plan.problems().toString());
        assertTrue(plan.problems().get(0).startsWith("README line 5 has the placeholder DATA_DIR"), plan.problems().get(0));
        assertTrue(plan(List.of("# bkd", "no commands here")).run().isEmpty());
    }

    /** Splits the README's commands into those to run and those skipped by {@link #NOT_RUN}. */
    static Plan plan(List<String> readmeLines) {
        List<Command> run = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Command c : commands(readmeLines)) {
            Skip skip = NOT_RUN.stream().filter(s -> s.command().matcher(c.text()).find()).findFirst().orElse(null);
            if (skip != null) {
                skipped.add("README line " + c.line() + " not run (" + skip.why() + "): ./bkd " + c.text());
                continue;
            }
            Matcher placeholder = PLACEHOLDER.matcher(c.text());
            if (placeholder.find()) {
                problems.add("README line " + c.line() + " has the placeholder " + placeholder.group()
                        + " (the README must run as written): ./bkd " + c.text());
            }
            run.add(c);
        }
        return new Plan(run, skipped, problems);
    }

    /** README.md at the project root (the nearest parent folder holding it next to the bkd launcher). */
    private static Path readme() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isRegularFile(d.resolve("bkd"))) {
                return d.resolve("README.md");
            }
        }
        throw new IllegalStateException("no README.md next to the bkd launcher above " + Path.of("").toAbsolutePath());
    }

    /** The {@code ./bkd} lines of the bash blocks, with NAME=value assignments from earlier lines expanded. */
    static List<Command> commands(List<String> lines) {
        Map<String, String> vars = new HashMap<>();
        List<Command> out = new ArrayList<>();
        boolean bash = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("```")) {
                bash = !bash && line.equals("```bash");
                continue;
            }
            String code = withoutComment(line);
            if (!bash || code.isEmpty()) {
                continue;
            }
            int first = i;
            while (code.endsWith("\\") && i + 1 < lines.size()) { // a shell line continuation
                code = code.substring(0, code.length() - 1).strip() + " " + withoutComment(lines.get(++i).strip());
            }
            Matcher a = ASSIGNMENT.matcher(code);
            if (a.matches()) {
                vars.put(a.group(1), a.group(2));
            } else if (code.equals("./bkd") || code.startsWith("./bkd ")) {
                String text = expand(code.substring("./bkd".length()).strip(), vars, first + 1);
                List<String> args = words(text).stream().map(ReadmeCliTest::reference).toList();
                out.add(new Command(first + 1, text, args));
            }
        }
        return out;
    }

    private static String expand(String text, Map<String, String> vars, int line) {
        return VARIABLE.matcher(text).replaceAll(m -> {
            String v = vars.get(m.group(1));
            if (v == null) {
                throw new AssertionError("README line " + line + " uses $" + m.group(1) + ", which no earlier line sets");
            }
            return Matcher.quoteReplacement(v);
        });
    }

    /** The reference folder for the README's path to it (and paths inside it). */
    private static String reference(String word) {
        if (word.equals(REFERENCE) || word.startsWith(REFERENCE + "/")) {
            return RefData.models() + word.substring(REFERENCE.length());
        }
        if (word.startsWith(REFERENCE_SETS)) {
            String rest = word.substring(REFERENCE_SETS.length());
            int slash = rest.indexOf('/');
            String set = slash < 0 ? rest : rest.substring(0, slash);
            return RefData.dataset(set) + (slash < 0 ? "" : rest.substring(slash));
        }
        return word;
    }

    /** The line up to a {@code #} that starts a shell comment (at the start or after a space, outside quotes). */
    private static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i).strip();
            }
        }
        return line;
    }

    /** Shell words: split on spaces outside single or double quotes, quotes removed. */
    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (char c : text.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                w = w == null ? new StringBuilder() : w;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(c);
            }
        }
        if (quote != 0) {
            throw new AssertionError("unclosed quote in README command: ./bkd " + text);
        }
        if (w != null) {
            words.add(w.toString());
        }
        return words;
    }
}
