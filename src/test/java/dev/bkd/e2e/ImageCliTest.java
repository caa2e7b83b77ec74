package dev.bkd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.core.testing.RefData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bkd generate --init-image/--strength/--mask}: image-to-image and inpainting from the command line. */
class ImageCliTest {
    @TempDir
    Path tmp;

    private static String image(String name) {
        return RefData.file("img2img", "images/" + name).toString();
    }

    /**
     * --seed 6101 is the reference's generator seed: the first PNG is diffusers' (pixels within 1); with
     * --num-images 2 the second image is seeded 6102 (one generator per image).
     */
    @Test
    void img2imgWithTheReferenceSeedGivesDiffusersPng() throws IOException {
        Path out = tmp.resolve("out");
        Cli r = Cli.run("generate", "--model", RefData.models().toString(), "--prompt",
                "a yellow sun over green hills, flat colours", "--negative-prompt", "blurry, dark, noisy",
                "--prompt-syntax", "plain", "--init-image", image("img2img_init.png"), "--strength", "0.6",
                "--scheduler", "ddim", "--steps", "10", "--seed", "6101", "--num-images", "2",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Path png = out.resolve("00000-6101.png");
        assertTrue(Files.isRegularFile(out.resolve("00001-6102.png")), "image 1 gets seed 6102: " + r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(64, img.getWidth(), "the init image's 64 px, not the model's 128");
        assertTrue(r.err().contains("6/6 ["), "int(10 x 0.6) = 6 steps run: " + r.err());
        int diff = Pixels.maxChannelDiff(Pixels.of(png), Pixels.of(Path.of(image("out_ddim_s0.6.png"))));
        assertTrue(diff <= 1, "max channel difference to diffusers' PNG: " + diff);
        String infotext = dev.bkd.core.testing.PngText.read(png).get("parameters").text();
        assertTrue(infotext.contains("Size: 64x64, Model: models, Denoising strength: 0.6"), infotext);
    }

    /** Inpainting with the 9-channel model and --seed 6211 gives diffusers' PNG; the model's 128 px default. */
    @Test
    void inpaintingWithTheReferenceSeedGivesDiffusersPng() throws IOException {
        Path out = tmp.resolve("out");
        Cli r = Cli.run("generate", "--model", RefData.file("img2img", "models_inpaint").toString(), "--prompt",
                "a red door in a white wall", "--negative-prompt", "low quality", "--prompt-syntax", "plain",
                "--init-image", image("inpaint_image.png"), "--mask", image("inpaint_mask.png"), "--width", "64",
                "--height", "64", "--scheduler", "ddim", "--steps", "8", "--seed", "6211", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Path png = out.resolve("00000-6211.png");
        int diff = Pixels.maxChannelDiff(Pixels.of(png), Pixels.of(Path.of(image("inpaint_out_ddim.png"))));
        assertTrue(diff <= 1, "max channel difference to diffusers' PNG: " + diff);
        Cli noMask = Cli.run("generate", "--model", RefData.file("img2img", "models_inpaint").toString(), "--prompt",
                "x", "--steps", "1", "--out", out.toString());
        assertEquals(2, noMask.code(), noMask.err());
        assertTrue(noMask.err().contains("this is an inpainting model (unet in_channels 9)"), noMask.err());
    }

    @Test
    void badImageArgumentsExit2WithOneLine() throws IOException {
        Path small = tmp.resolve("small.png");
        ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY), "png", small.toFile());
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "not an image");
        String init = image("img2img_init.png");
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("--init-image", init, "--strength", "1.5"), "--strength 1.5 must be in (0, 1]");
        cases.put(List.of("--init-image", init, "--strength", "0"), "--strength 0.0 must be in (0, 1]");
        cases.put(List.of("--mask", init), "--mask needs --init-image FILE");
        cases.put(List.of("--init-image", init, "--mask", small.toString(), "--legacy-inpaint"),
                "--mask " + small + " is 32x32 pixels but --init-image " + init + " is 64x64");
        cases.put(List.of("--init-image", init, "--mask", init), "not an inpainting model (unet in_channels 4");
        cases.put(List.of("--init-image", text.toString()), "--init-image " + text + ": not an image format");
        cases.put(List.of("--init-image", tmp.resolve("absent.png").toString()), "no such file");
        cases.put(List.of("--init-image", init, "--resize-mode", "squash"), "--resize-mode: resize mode \"squash\"");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            List<String> args = new ArrayList<>(List.of("generate", "--model", RefData.models().toString(),
                    "--prompt", "x", "--steps", "2", "--out", tmp.resolve("never").toString()));
            args.addAll(c.getKey());
            Cli r = Cli.run(args.toArray(new String[0]));
            assertEquals(2, r.code(), c.getKey() + ": " + r.err());
            assertTrue(r.err().startsWith("bkd: ") && r.err().contains(c.getValue()), c.getKey() + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertFalse(Files.exists(tmp.resolve("never")), "nothing written on bad arguments");
    }
}
