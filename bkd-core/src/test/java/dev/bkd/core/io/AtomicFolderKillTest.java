package dev.bkd.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder replaced by {@link AtomicFolder} and killed (a child JVM halted at a named point) at each step of the
 * swap is, under its final name, either the whole old folder or the whole new one, and the next
 * {@link AtomicFolder#begin} removes or restores the hidden rest and says so.
 */
class AtomicFolderKillTest {
    @TempDir
    Path dir;

    /** Child: replaces {@code args[0]} by a folder of three files saying "new" ({@code args[1]} = "delete": deletes it). */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        if (args.length > 1) {
            AtomicFolder.delete(out);
            return;
        }
        try (AtomicFolder f = AtomicFolder.begin(out, true)) {
            for (String n : List.of("a", "b", "c")) {
                Files.writeString(f.dir().resolve(n), "new");
            }
            f.commit();
        }
    }

    private Path old() throws IOException {
        Path out = dir.resolve("model");
        Files.createDirectories(out);
        for (String n : List.of("a", "b", "c")) {
            Files.writeString(out.resolve(n), "old");
        }
        return out;
    }

    private static String contents(Path out) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String n : List.of("a", "b", "c")) {
            Path f = out.resolve(n);
            b.append(Files.exists(f) ? Files.readString(f) : "-").append(' ');
        }
        return b.toString().trim();
    }

    private List<String> hidden() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void killedAfterMovingAsideRestoresTheOldFolder() throws Exception {
        Path out = old();
        ChildJvm.Result r = ChildJvm.run(AtomicFolderKillTest.class, "swap.aside", out.toString());
        assertTrue(r.halted(), r.output());
        assertFalse(Files.exists(out), "the kill point is between the two renames");
        List<String> done = Leftovers.clean(dir, "model");
        assertEquals("old old old", contents(out));
        assertTrue(done.stream().anyMatch(s -> s.startsWith("restored ")), done.toString());
        assertTrue(done.stream().anyMatch(s -> s.startsWith("removed ") && s.contains(".model.tmp-")), done.toString());
        assertEquals(List.of(), hidden());
    }

    @Test
    void killedWhileDeletingTheOldFolderKeepsTheNewOneWhole() throws Exception {
        Path out = old();
        ChildJvm.Result r = ChildJvm.run(AtomicFolderKillTest.class, "delete.partly", out.toString());
        assertTrue(r.halted(), r.output());
        assertEquals("new new new", contents(out));
        assertEquals(1, hidden().size(), hidden().toString());
        try (AtomicFolder f = AtomicFolder.begin(out, true)) {
            // the next run on the same output cleans up before it writes
            assertEquals(List.of(f.dir().getFileName().toString()), hidden());
        }
        assertEquals(List.of(), hidden());
    }

    @Test
    void killedWhileDeletingLeavesNoHalfFolderUnderTheName() throws Exception {
        Path out = old();
        ChildJvm.Result r = ChildJvm.run(AtomicFolderKillTest.class, "delete.partly", out.toString(), "delete");
        assertTrue(r.halted(), r.output());
        assertFalse(Files.exists(out));
        assertEquals(1, hidden().size());
        List<String> done = Leftovers.clean(dir, "model");
        assertTrue(done.get(0).startsWith("removed ") && done.get(0).contains(".model.trash-"), done.toString());
        assertEquals(List.of(), hidden());
    }

    @Test
    void leftoversOfOtherNamesAreLeftAlone() throws Exception {
        Files.createDirectories(dir.resolve(".sibling.tmp-123"));
        Files.createDirectories(dir.resolve(".model.tmp-456"));
        Leftovers.clean(dir, "model");
        assertEquals(List.of(".sibling.tmp-123"), hidden());
    }
}
