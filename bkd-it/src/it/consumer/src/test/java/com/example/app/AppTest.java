package com.example.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bkd.train.distill.KdPresets;
import dev.bkd.train.loop.TrainConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a downstream app relies on: the BOM resolves, bkd-models generates, bkd-train is on the class path. */
class AppTest {
    @TempDir Path out;

    private static Path model() {
        String ref = System.getProperty("bkd.reference");
        Path models = Path.of(ref).resolve("models");
        assertTrue(Files.isDirectory(models), "tiny reference pipeline missing: " + models);
        return models;
    }

    @Test
    void generatesAnImageFromTheTinyReferencePipeline() throws Exception {
        List<Path> images = App.run(model(), "a red circle", out);
        assertEquals(1, images.size());
        BufferedImage png = ImageIO.read(images.get(0).toFile());
        assertEquals(64, png.getWidth());
        assertEquals(64, png.getHeight());
    }

    @Test
    void trainingApiIsUsable() {
        TrainConfig config = TrainConfig.builder().steps(3).build();
        assertEquals(3, config.steps());
        assertTrue(KdPresets.class.getName().startsWith("dev.bkd.train"));
    }

    @Test
    void libraryJarsBindNoSlf4jProvider() {
        // Only the CLI binds a logger; a library that ships slf4j-simple would hijack the app's logging.
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.slf4j.simple.SimpleLogger"));
    }

    @Test
    void jarsCarryAutomaticModuleNames() throws Exception {
        for (Class<?> c : new Class<?>[] {App.class.getClassLoader().loadClass("dev.bkd.models.pipeline.DiffusionPipeline"),
                TrainConfig.class}) {
            String name = c.getModule().isNamed() ? c.getModule().getName() : manifestModuleName(c);
            assertTrue(name != null && name.startsWith("dev.bkd."), c + " has no Automatic-Module-Name: " + name);
        }
    }

    private static String manifestModuleName(Class<?> c) throws Exception {
        Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (java.util.jar.JarFile f = new java.util.jar.JarFile(jar.toFile())) {
            return f.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
        }
    }
}
