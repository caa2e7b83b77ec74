package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.lora.Lora;
import dev.bkd.core.lora.LoraAdapter;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.core.lora.LoraFiles;
import dev.bkd.core.random.Generator;
import dev.bkd.core.testing.LoraRef;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.examples.BenchmarkExample;
import dev.bkd.examples.DistillExample;
import dev.bkd.examples.GenerateExample;
import dev.bkd.examples.LoraExample;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import dev.bkd.train.shapes.ShapesDataset;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example in dev.bkd.examples runs its main against the tiny reference pipeline with tiny settings. */
class ExamplesTest {
    @TempDir
    Path tmp;

    private static String models() {
        return RefData.models().toString();
    }

    @Test
    void generateExampleWritesAPngOfTheAskedSize() throws IOException {
        Path out = tmp.resolve("out");
        String printed = stdout(GenerateExample::main, models(), "a red circle", out.toString(), "2", "64");
        Path png = out.resolve("00000-42.png");
        assertTrue(printed.contains("wrote " + png), printed);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(List.of(64, 64), List.of(img.getWidth(), img.getHeight()));
    }

    @Test
    void distillExampleWritesATinyStudentThatLoads() throws IOException {
        Path data = ShapesDataset.folder(tmp.resolve("data"), 4, 32, 0);
        Path out = tmp.resolve("distill");
        String printed = stdout(DistillExample::main, models(), data.toString(), out.toString(), "2", "32");
        assertTrue(printed.contains("distilled 2 steps: the student pipeline is in " + out.resolve("student")), printed);
        assertTrue(Files.isRegularFile(out.resolve("pruned/model_index.json")), "the pruned student is kept");
        long tinyParams = ConfigReader.MAPPER.readTree(RefData.ref("bksdm_losses.json").toFile())
                .at("/sd_tiny/student_num_params").asLong();
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(out.resolve("student"), PipelineOptions.defaults())) {
            assertEquals(tinyParams, p.unet().parameterCount());
        }
    }

    @Test
    void loraExampleGeneratesWithFusedAndWithoutTheAdapter() throws IOException {
        Path lora;
        try (UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(RefData.models().resolve("unet"),
                UNet2DConditionModel.Options.defaults())) {
            LoraAdapter adapter = Lora.add(unet, "default", LoraConfig.unet(4, 4), new Generator(1));
            LoraRef.randomize(adapter, new Generator(2), 0.3); // B starts at zero: make the adapter do something
            lora = LoraFiles.save(tmp.resolve("lora"), Map.of(LoraFiles.UNET, adapter));
        }
        Path out = tmp.resolve("out");
        String printed = stdout(LoraExample::main, models(), lora.toString(), "a red circle", out.toString(), "1.0", "2");
        assertTrue(printed.contains("LoRA " + lora), printed);
        int[] with = Pixels.of(onlyPng(out.resolve("lora")));
        int[] fused = Pixels.of(onlyPng(out.resolve("fused")));
        int[] without = Pixels.of(onlyPng(out.resolve("without")));
        int fusing = Pixels.maxChannelDiff(with, fused);
        int effect = Pixels.maxChannelDiff(with, without);
        System.out.printf("LoRA example: fusing moves a channel by <= %d, the LoRA by %d (of 255)%n", fusing, effect);
        assertTrue(fusing <= 2, "fusing changes rounding only: " + fusing);
        assertTrue(effect > 10, "the LoRA changes the picture: " + effect);
    }

    @Test
    void benchmarkExamplePrintsParametersAndTimingsForEveryVariant() throws IOException {
        String printed = stdout(BenchmarkExample::main, models(), "base,small,tiny", "64", "1");
        for (String v : List.of("teacher", "base", "small", "tiny")) {
            String speedup = v.equals("teacher") ? "" : " +\\d+\\.\\d\\dx faster";
            assertTrue(printed.matches("(?s)(.*\\n)?" + v + " +[\\d,]+ parameters +\\d+\\.\\d{3} s/forward" + speedup
                    + "\\n.*"), v + " row in\n" + printed);
        }
        long tinyParams = ConfigReader.MAPPER.readTree(RefData.ref("bksdm_losses.json").toFile())
                .at("/sd_tiny/student_num_params").asLong();
        assertTrue(printed.contains(String.format("%,d parameters", tinyParams)), printed);
    }

    /** Runs an example's main and returns what it printed to System.out (also echoed for the test log). */
    private static String stdout(Consumer<String[]> main, String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.accept(args);
        } finally {
            System.setOut(original);
        }
        String s = captured.toString(StandardCharsets.UTF_8);
        original.print(s);
        return s;
    }

    private static Path onlyPng(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> pngs = s.filter(p -> p.toString().endsWith(".png")).toList();
            assertEquals(1, pngs.size(), dir + ": " + pngs);
            return pngs.get(0);
        }
    }
}
