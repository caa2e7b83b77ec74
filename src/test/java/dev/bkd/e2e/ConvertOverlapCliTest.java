package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 13 item 1: {@code bkd convert --force} with {@code --out} equal to {@code --model}, inside it or its parent
 * used to delete the source model (and, for the parent, its siblings). Every command that writes refuses overlap
 * by one rule.
 */
class ConvertOverlapCliTest {
    @ParameterizedTest
    @ValueSource(strings = {"same", "inside", "parent", "link"})
    void convertRefusesAnOutputOverlappingTheModel(String where, @TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("models/model"));
        Files.writeString(model.resolve("model_index.json"), "{}");
        Path sibling = Files.createDirectories(tmp.resolve("models/other"));
        Files.writeString(sibling.resolve("keep.txt"), "unrelated");
        Path out = switch (where) {
            case "same" -> model;
            case "inside" -> model.resolve("half");
            case "parent" -> model.getParent();
            default -> Files.createSymbolicLink(tmp.resolve("alias"), model);
        };
        Cli r = Cli.run("convert", "--model", model.toString(), "--out", out.toString(), "--dtype", "float16",
                "--force");
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.err().contains("overlap") && r.err().contains("choose another --out"), r.err());
        assertEquals("{}", Files.readString(model.resolve("model_index.json")));
        assertEquals("unrelated", Files.readString(sibling.resolve("keep.txt")));
    }
}
