package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptionedDatasetTest {
    @TempDir
    Path tmp;

    /** A folder with two good images and every kind of bad row in metadata.jsonl. */
    private Path jsonlWithEveryBadRow() throws IOException {
        Path root = tmp.resolve("data");
        TinyImages.png(root.resolve("a.png"), 12, 8, 1);
        TinyImages.write(root.resolve("sub/b.jpg"), TinyImages.noise(8, 8, 2), "jpg");
        TinyImages.png(root.resolve("blank.png"), 8, 8, 3);
        Files.write(root.resolve("garbage.png"), new byte[] {1, 2, 3, 4, 5});
        Path outside = TinyImages.png(tmp.resolve("secret.png"), 8, 8, 4);
        Files.createSymbolicLink(root.resolve("link.png"), outside);
        Files.writeString(root.resolve("metadata.jsonl"), String.join("\n",
                "{\"file_name\": \"a.png\", \"text\": \"a red fox\"}",          // 1 ok
                "{\"file_name\": \"sub/b.jpg\", \"text\": [\"one\", \"two\"]}",  // 2 ok, alternatives
                "{\"file_name\": \"missing.png\", \"text\": \"x\"}",             // 3 missing image
                "{\"file_name\": \"garbage.png\", \"text\": \"x\"}",             // 4 unreadable
                "{\"file_name\": \"blank.png\", \"text\": \"   \"}",             // 5 empty caption
                "{\"file_name\": \"../secret.png\", \"text\": \"x\"}",           // 6 escapes
                "{\"file_name\": \"" + outside + "\", \"text\": \"x\"}",         // 7 absolute
                "{\"file_name\": \"link.png\", \"text\": \"x\"}",                // 8 symlink out
                "{\"file_name\": \"a.png\", \"text\": ",                         // 9 bad JSON
                "",                                                              // 10 blank: ignored
                "{\"file_name\": 5, \"text\": \"x\"}",                           // 11 bad field
                "{\"file_name\": \"a.png\"}"));                                  // 12 no caption
        return root;
    }

    @Test
    void jsonlSkipsEveryBadRowKindAndCountsThem() throws IOException {
        Path root = jsonlWithEveryBadRow();
        CaptionedDataset d = CaptionedDataset.open(root, DatasetOptions.defaults());
        assertEquals("metadata.jsonl", d.layout());
        assertEquals(2, d.size());
        assertEquals("a.png", d.get(0).relativePath());
        assertEquals(List.of("a red fox"), d.get(0).captions());
        assertEquals(List.of("one", "two"), d.get(1).captions());
        assertEquals(Map.of(SkipReason.MISSING_IMAGE, 1, SkipReason.UNREADABLE_IMAGE, 1,
                SkipReason.EMPTY_CAPTION, 2, SkipReason.OUTSIDE_FOLDER, 3, SkipReason.BAD_ROW, 2), d.report().counts());
        List<String> origins = d.report().skips().stream().map(DatasetReport.Skip::origin).toList();
        assertEquals(List.of("metadata.jsonl line 3", "metadata.jsonl line 4", "metadata.jsonl line 5",
                "metadata.jsonl line 6", "metadata.jsonl line 7", "metadata.jsonl line 8", "metadata.jsonl line 9",
                "metadata.jsonl line 11", "metadata.jsonl line 12"), origins);
        assertTrue(d.report().skips().get(5).detail().contains("links outside"), d.report().skips().get(5).detail());
        assertTrue(d.report().summary().startsWith("skipped 9 rows"), d.report().summary());
    }

    @Test
    void strictModeStopsAtTheFirstBadRowNamingFileAndLine() throws IOException {
        Path root = jsonlWithEveryBadRow();
        DatasetException e = assertThrows(DatasetException.class,
                () -> CaptionedDataset.open(root, DatasetOptions.defaults().withStrict(true)));
        assertTrue(e.getMessage().contains("metadata.jsonl line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("missing.png"), e.getMessage());
    }

    @Test
    void csvWithQuotedFieldsAndACustomCaptionColumn() throws IOException {
        Path root = tmp.resolve("csv");
        TinyImages.png(root.resolve("x.png"), 8, 8, 1);
        TinyImages.png(root.resolve("y.png"), 8, 8, 2);
        Files.writeString(root.resolve("metadata.csv"), "file_name,prompt,score\r\n"
                + "x.png,\"a cat, \"\"sitting\"\"\non two lines\",0.5\r\n"
                + "y.png,plain dog,1\n"
                + "x.png,too,many,fields\n"
                + "../x.png,escape,1\n");
        CaptionedDataset d = CaptionedDataset.open(root, DatasetOptions.defaults().withCaptionColumn("prompt"));
        assertEquals(2, d.size());
        assertEquals("a cat, \"sitting\"\non two lines", d.get(0).captions().get(0));
        assertEquals("plain dog", d.get(1).captions().get(0));
        List<DatasetReport.Skip> skips = d.report().skips();
        assertEquals(SkipReason.BAD_ROW, skips.get(0).reason());
        assertEquals("metadata.csv line 5", skips.get(0).origin()); // record 2 spans lines 2-3
        assertEquals("metadata.csv line 6", skips.get(1).origin());
        assertEquals(SkipReason.OUTSIDE_FOLDER, skips.get(1).reason());

        DatasetException e = assertThrows(DatasetException.class, () -> CaptionedDataset.open(root, DatasetOptions.defaults()));
        assertTrue(e.getMessage().contains("[file_name, prompt, score]"), e.getMessage());
        e = assertThrows(DatasetException.class,
                () -> CaptionedDataset.open(root, DatasetOptions.defaults().withCaptionColumn("prompt").withStrict(true)));
        assertTrue(e.getMessage().contains("metadata.csv line 5: malformed metadata row: 4 fields, the header has 3"),
                e.getMessage());
    }

    @Test
    void sidecarTxtCaptionsInSubfolders() throws IOException {
        Path root = tmp.resolve("txt");
        TinyImages.png(root.resolve("a.png"), 8, 8, 1);
        Files.writeString(root.resolve("a.txt"), "  caption a\n");
        TinyImages.write(root.resolve("deep/b.jpeg"), TinyImages.noise(8, 8, 2), "jpg");
        Files.writeString(root.resolve("deep/b.txt"), "caption b");
        TinyImages.png(root.resolve("nocap.png"), 8, 8, 3);
        TinyImages.png(root.resolve("empty.png"), 8, 8, 4);
        Files.writeString(root.resolve("empty.txt"), "\n");
        Files.write(root.resolve("bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Files.writeString(root.resolve("bad.txt"), "broken image");
        Files.createSymbolicLink(root.resolve("out.png"), TinyImages.png(tmp.resolve("secret.png"), 8, 8, 5));
        Files.writeString(root.resolve("out.txt"), "a linked image");
        CaptionedDataset d = CaptionedDataset.open(root, DatasetOptions.defaults());
        assertEquals(".txt captions", d.layout());
        assertEquals(List.of("a.png", "deep/b.jpeg"), d.items().stream().map(CaptionedImage::relativePath).toList());
        assertEquals("caption a", d.get(0).captions().get(0));
        assertEquals(Map.of(SkipReason.EMPTY_CAPTION, 2, SkipReason.UNREADABLE_IMAGE, 1, SkipReason.OUTSIDE_FOLDER, 1),
                d.report().counts());
        DatasetException e = assertThrows(DatasetException.class,
                () -> CaptionedDataset.open(root, DatasetOptions.defaults().withStrict(true)));
        assertTrue(e.getMessage().contains("bad.txt: unreadable image"), e.getMessage()); // sorted: bad.png first
    }

    @Test
    void unusableFoldersAreErrorsNotEmptyDatasets() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(DatasetException.class, () -> CaptionedDataset.open(empty, DatasetOptions.defaults()));
        assertThrows(DatasetException.class, () -> CaptionedDataset.open(tmp.resolve("nope"), DatasetOptions.defaults()));
        Path both = Files.createDirectories(tmp.resolve("both"));
        Files.writeString(both.resolve("metadata.jsonl"), "");
        Files.writeString(both.resolve("metadata.csv"), "");
        DatasetException e = assertThrows(DatasetException.class, () -> CaptionedDataset.open(both, DatasetOptions.defaults()));
        assertTrue(e.getMessage().contains("keep one"), e.getMessage());
        Path wrongColumn = Files.createDirectories(tmp.resolve("wrong"));
        TinyImages.png(wrongColumn.resolve("a.png"), 8, 8, 1);
        Files.writeString(wrongColumn.resolve("metadata.jsonl"), "{\"file_name\": \"a.png\", \"caption\": \"x\"}\n");
        e = assertThrows(DatasetException.class, () -> CaptionedDataset.open(wrongColumn, DatasetOptions.defaults()));
        assertTrue(e.getMessage().contains("`text`") && e.getMessage().contains("[caption, file_name]"), e.getMessage());
    }

    @Test
    void listingHashFollowsPathsCaptionsAndSizes() throws IOException {
        Path root = tmp.resolve("h");
        TinyImages.png(root.resolve("a.png"), 8, 8, 1);
        Files.writeString(root.resolve("a.txt"), "one");
        String h1 = CaptionedDataset.open(root, DatasetOptions.defaults()).listingHash();
        assertEquals(h1, CaptionedDataset.open(root, DatasetOptions.defaults()).listingHash());
        Files.writeString(root.resolve("a.txt"), "two");
        assertNotEquals(h1, CaptionedDataset.open(root, DatasetOptions.defaults()).listingHash());
    }
}
