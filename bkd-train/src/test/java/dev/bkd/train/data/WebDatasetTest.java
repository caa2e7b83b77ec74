package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.random.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebDatasetTest {
    @TempDir
    Path tmp;

    byte[] png(int i) throws IOException {
        return Files.readAllBytes(TinyImages.png(tmp.resolve("src/" + i + ".png"), 10 + i, 9, i));
    }

    /** Two img2dataset-like shards: 00000.tar holds samples 0..2, 00001.tar samples 3..4 (jpg/png, txt, json). */
    Path twoShards() throws IOException {
        Path dir = tmp.resolve("shards");
        TinyTars a = new TinyTars();
        for (int i = 0; i < 3; i++) {
            String key = String.format("%09d", i);
            a.add(key + ".png", png(i)).add(key + ".txt", "caption " + i)
                    .add(key + ".json", "{\"key\": \"" + key + "\", \"caption\": \"json caption " + i + "\"}");
        }
        a.write(dir.resolve("00000.tar"));
        TinyTars b = new TinyTars();
        for (int i = 3; i < 5; i++) {
            String key = String.format("%09d", i);
            b.add(key + ".png", png(i)).add(key + ".txt", "caption " + i)
                    .add(key + ".json", "{\"caption\": [\"json caption " + i + "\"]}");
        }
        b.write(dir.resolve("00001.tar"));
        return dir;
    }

    static List<String> captions(CaptionedDataset d) {
        return d.items().stream().map(it -> it.captions().get(0)).toList();
    }

    @Test
    void braceRangeFolderListFileAndSingleShardReadTheSameSamplesInOrder() throws IOException {
        Path dir = twoShards();
        Files.writeString(dir.resolve("shards.txt"), "# train shards\n00000.tar\n\n{00001..00001}.tar\n");
        List<String> want = List.of("caption 0", "caption 1", "caption 2", "caption 3", "caption 4");
        for (Path data : List.of(dir.resolve("{00000..00001}.tar"), dir, dir.resolve("shards.txt"))) {
            CaptionedDataset d = CaptionedDataset.open(data, DatasetOptions.defaults());
            assertEquals(want, captions(d), data.toString());
            assertEquals("webdataset, 2 shards", d.layout());
            assertEquals("00001.tar/000000004.png", d.get(4).relativePath());
            assertEquals("no rows skipped", d.report().summary());
        }
        CaptionedDataset one = CaptionedDataset.open(dir.resolve("00001.tar"), DatasetOptions.defaults());
        assertEquals(List.of("caption 3", "caption 4"), captions(one));
    }

    @Test
    void theCaptionColumnPicksAJsonFieldOverTheTxt() throws IOException {
        Path dir = twoShards();
        CaptionedDataset d = CaptionedDataset.open(dir, DatasetOptions.defaults().withCaptionColumn("caption"));
        assertEquals(List.of("json caption 0", "json caption 1", "json caption 2", "json caption 3", "json caption 4"),
                captions(d));
    }

    @Test
    void membersDecodeAndTransformLikeTheSameImageFiles() throws IOException {
        Path dir = twoShards();
        CaptionedDataset tars = CaptionedDataset.open(dir, DatasetOptions.defaults());
        ImageTransform t = new ImageTransform(8, false, true);
        for (int i = 0; i < 5; i++) {
            CaptionedImage file = new CaptionedImage(tmp.resolve("src/" + i + ".png"), i + ".png", List.of("c"), "f");
            assertArrayEquals(t.load(file, new Generator(7)).pixels(), t.load(tars.get(i), new Generator(7)).pixels());
            assertEquals(Files.size(file.file()), tars.get(i).byteSize());
        }
    }

    @Test
    void badSamplesAndDamagedShardsAreSkippedAndCounted() throws IOException {
        Path dir = tmp.resolve("bad");
        new TinyTars()
                .add("a.png", png(0)).add("a.txt", "fine")
                .add("b.txt", "caption without image")
                .add("c.png", png(1)).add("c.txt", "   ")
                .add("d.png", "not a png at all").add("d.txt", "garbage image")
                .add("e.png", png(3)).add("e.json", "{not json").add("e.txt", "x")
                .add("f.png", png(4)).add("f.txt", "also fine")
                .write(dir.resolve("00000.tar"));
        Path full = new TinyTars().add("g.png", png(5)).add("g.txt", "before the cut")
                .add("h.png", png(6)).add("h.txt", "after the cut").write(dir.resolve("00001.tar"));
        TarIndex.Member h = TarIndex.scan(full).members().get(2);
        assertEquals("h.png", h.name());
        Files.write(full, Arrays.copyOf(Files.readAllBytes(full), (int) h.offset() + 10)); // cuts into h.png
        // 00002.tar is missing from the range
        CaptionedDataset d = CaptionedDataset.open(dir.resolve("{00000..00002}.tar"), DatasetOptions.defaults());
        assertEquals(List.of("fine", "also fine", "before the cut"), captions(d));
        assertEquals(Map.of(SkipReason.MISSING_IMAGE, 1, SkipReason.EMPTY_CAPTION, 1, SkipReason.UNREADABLE_IMAGE, 1,
                SkipReason.BAD_ROW, 1, SkipReason.DAMAGED_SHARD, 2), d.report().counts());
        String all2 = d.report().skips().stream().map(DatasetReport.Skip::describe).toList().toString();
        assertTrue(all2.contains("00000.tar sample b: missing image"), all2);
        assertTrue(all2.contains("00001.tar: missing or damaged tar shard: truncated"), all2);
        assertTrue(all2.contains("00002.tar: missing or damaged tar shard: does not exist"), all2);

        DatasetException e = assertThrows(DatasetException.class, () -> CaptionedDataset.open(dir.resolve("00000.tar"),
                DatasetOptions.defaults().withStrict(true)));
        assertTrue(e.getMessage().contains("00000.tar sample b: missing image"), e.getMessage());
    }

    @Test
    void longNamesInGnuAndPaxHeadersAndCompressedShardsRefused() throws IOException {
        String deep = "x".repeat(120) + "/000000001";
        for (TinyTars.LongNames how : TinyTars.LongNames.values()) {
            Path t = new TinyTars().longNames(how).add(deep + ".png", png(0)).add(deep + ".txt", "long " + how)
                    .write(tmp.resolve(how + "/00000.tar"));
            CaptionedDataset d = CaptionedDataset.open(t, DatasetOptions.defaults());
            assertEquals(List.of("long " + how), captions(d));
            assertEquals("00000.tar/" + deep + ".png", d.get(0).relativePath());
        }
        Path gz = Files.write(tmp.resolve("00000.tar.gz"), new byte[] {31, -117});
        DatasetException e = assertThrows(DatasetException.class, () -> CaptionedDataset.open(gz, DatasetOptions.defaults()));
        assertTrue(e.getMessage().contains("compressed tar shards cannot be read in place"), e.getMessage());
    }

    @Test
    void shardsWrittenByGnuTarReadTheSame() throws Exception {
        Path src = tmp.resolve("gnu");
        Files.createDirectories(src);
        String longKey = "k".repeat(110);
        Files.write(src.resolve(longKey + ".png"), png(1));
        Files.writeString(src.resolve(longKey + ".txt"), "from gnu tar");
        Files.write(src.resolve("z.jpg.png"), png(2)); // key "z", extension "jpg.png": not an image extension
        Files.writeString(src.resolve("z.txt"), "no decodable member");
        for (String format : List.of("gnu", "pax", "ustar")) {
            Path out = tmp.resolve(format + ".tar");
            Process p;
            try {
                p = new ProcessBuilder("tar", "--format=" + format, "-cf", out.toString(), "-C", src.toString(),
                        longKey + ".png", longKey + ".txt", "z.jpg.png", "z.txt").redirectErrorStream(true).start();
            } catch (IOException noTar) {
                Assumptions.abort("no tar command: " + noTar.getMessage());
                return;
            }
            String log = new String(p.getInputStream().readAllBytes());
            if (format.equals("ustar")) {
                assertNotEquals(0, p.waitFor(), "ustar cannot store a 114-byte name without a slash: " + log);
                continue;
            }
            assertEquals(0, p.waitFor(), log);
            CaptionedDataset d = CaptionedDataset.open(out, DatasetOptions.defaults());
            assertEquals(List.of("from gnu tar"), captions(d), format);
            assertEquals(Map.of(SkipReason.MISSING_IMAGE, 1), d.report().counts(), format);
        }
    }

    @Test
    void braceRangesExpandLikeBraceexpand() {
        assertEquals(List.of("d/08.tar", "d/09.tar", "d/10.tar"), WebDataset.expand("d/{08..10}.tar"));
        assertEquals(List.of("a1-0", "a1-1", "a2-0", "a2-1"), WebDataset.expand("a{1..2}-{0..1}"));
        assertEquals(List.of("9", "10"), WebDataset.expand("{9..10}"));
        DatasetException e = assertThrows(DatasetException.class, () -> WebDataset.expand("{3..1}"));
        assertTrue(e.getMessage().contains("runs backwards"), e.getMessage());
    }
}
