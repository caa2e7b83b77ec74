package dev.bkd.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.bkd.core.testing.RefData;
import dev.bkd.models.pipeline.DiffusionPipeline;
import dev.bkd.models.pipeline.PipelineOptions;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web page in headless Chromium: it loads the sampler list, runs a generation from its form (autorun link),
 * and shows the images with download links. Skipped, with the reason, where no chromium is installed
 * ({@code apt-get install chromium}). The screenshot stays in target/ to look at.
 */
class WebPageChromiumTest {
    private static final List<String> CHROMIUM = List.of("chromium", "chromium-browser", "google-chrome");

    static String findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : CHROMIUM) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    static String run(String chromium, Path profile, String url, String... extra) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1000,640",
                "--virtual-time-budget=60000"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s");
        }
        return out;
    }

    @Test
    void pageGeneratesAndShowsDownloadableImages(@TempDir Path tmp) throws Exception {
        String chromium = findChromium();
        assumeTrue(chromium != null, "no chromium on PATH (apt-get install chromium): the web page test is skipped");
        try (DiffusionPipeline pipe = DiffusionPipeline.fromPretrained(RefData.models(), PipelineOptions.defaults());
                BkdServer server = BkdServer.start(pipe, ServerOptions.defaults().withPort(0))) {
            String url = server.url() + "/?prompt=a%20blue%20square&steps=3&width=128&height=128&seed=11&batch=2"
                    + "&sampler=Euler%20a&autorun=1";
            String dom = run(chromium, tmp.resolve("p1"), url, "--dump-dom");
            assertTrue(dom.contains("data-done=\"1\""), "the generation finished in the page: " + tail(dom));
            Matcher m = Pattern.compile("<img src=\"data:image/png;base64,").matcher(dom);
            int images = 0;
            while (m.find()) {
                images++;
            }
            assertEquals(2, images, "both images are shown");
            assertTrue(dom.contains("download=\"bkd-11.png\"") && dom.contains("download=\"bkd-12.png\""),
                    "each image has a download link named by its seed");
            assertTrue(dom.contains("<option value=\"Euler a\">"), "the sampler list came from /sdapi/v1/samplers");
            assertTrue(dom.contains("Done: 2 image(s)"), tail(dom));
            assertEquals(1, server.stats().completed(), "one request made both");

            Path shot = Path.of("target", "web-page.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            Files.deleteIfExists(shot);
            run(chromium, tmp.resolve("p2"), url, "--screenshot=" + shot, "--hide-scrollbars");
            BufferedImage img = ImageIO.read(shot.toFile());
            assertEquals(1000, img.getWidth());
            // the generated images sit right of the 340 px form: that area must hold many colours, not a blank page
            Set<Integer> colours = new HashSet<>();
            for (int y = 80; y < 400; y++) {
                for (int x = 400; x < 960; x++) {
                    colours.add(img.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 200, "the image area of the screenshot has only " + colours.size()
                    + " colours: " + shot);
        }
    }

    private static String tail(String dom) {
        int i = dom.indexOf("id=\"status\"");
        return i < 0 ? dom.substring(0, Math.min(500, dom.length())) : dom.substring(i, Math.min(dom.length(), i + 300));
    }
}
