package dev.bkd.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.safetensors.SafetensorsEntry;
import dev.bkd.core.safetensors.SafetensorsFile;
import dev.bkd.core.singlefile.SingleFileException;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.weights.Weights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export to the original layout: diffusers' converter's key set and bytes; import(export(x)) is x bit for bit. */
class SingleFileExportTest {
    @TempDir
    Path tmp;

    private static Set<String> referenceKeys(Path keysJson) throws IOException {
        Set<String> out = new HashSet<>();
        for (JsonElement e : JsonParser.parseString(Files.readString(keysJson)).getAsJsonObject().getAsJsonArray("keys")) {
            out.add(e.isJsonObject() ? e.getAsJsonObject().get("key").getAsString() : e.getAsString());
        }
        return out;
    }

    private void roundTrip(Path folder, Path refFile, Path keysJson) throws IOException {
        Path out = tmp.resolve(refFile.getFileName());
        try (DiffusionPipeline p = DiffusionPipeline.fromPretrained(folder, PipelineOptions.defaults())) {
            SingleFileExport.write(p, out);
            try (SafetensorsFile got = SafetensorsFile.open(out); SafetensorsFile want = SafetensorsFile.open(refFile)) {
                assertEquals(referenceKeys(keysJson), new HashSet<>(got.names()), "key set = the converter's");
                for (SafetensorsEntry e : want.entries()) {
                    SafetensorsEntry g = got.entry(e.name());
                    assertEquals(e.dtype(), g.dtype(), e.name());
                    assertEquals(e.shape(), g.shape(), e.name());
                    ByteBuffer a = want.rawBytes(e.name());
                    ByteBuffer b = got.rawBytes(e.name());
                    assertEquals(a, b, "bytes of " + e.name());
                }
            }
            PipelineOptions opts = PipelineOptions.defaults().withSingleFile(SingleFileOptions.defaults().withConfig(folder));
            try (DiffusionPipeline back = DiffusionPipeline.fromSingleFile(out, opts)) {
                assertSame(Weights.stateDict(p.unet()), Weights.stateDict(back.unet()));
                assertSame(Weights.stateDict(p.vae()), Weights.stateDict(back.vae()));
                assertSame(Weights.stateDict(p.textEncoder()), Weights.stateDict(back.textEncoder()));
            }
        }
    }

    private static void assertSame(Map<String, NDArray> a, Map<String, NDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toByteArray(), b.get(k).toByteArray(), k);
        }
    }

    @Test
    void sd1ExportIsTheConvertersFileAndRoundTripsBitForBit() throws IOException {
        Path ref = RefData.dataset("checkpoints");
        roundTrip(RefData.models(), ref.resolve("sd1/sd-tiny.safetensors"), ref.resolve("sd1/keys.json"));
    }

    @Test
    void sd2ExportFusesQkvLikeTheConverterAndRoundTrips() throws IOException {
        Path ref = RefData.dataset("checkpoints");
        roundTrip(SingleFilePipelineTest.sd2Folder(tmp), ref.resolve("sd2/sd2-tiny.safetensors"),
                ref.resolve("sd2/keys.json"));
    }

    @Test
    void prunedStudentsAreRefusedWithTheReason() {
        UNet2DConditionConfig unet = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        AutoencoderKLConfig vae = AutoencoderKLConfig.read(RefData.models().resolve("vae/config.json"));
        SingleFileExport.checkLayout(unet, vae, "sd-tiny");
        SingleFileException e = assertThrows(SingleFileException.class, () -> SingleFileExport.checkLayout(
                unet.toBuilder().layersPerBlock(1).build(), vae, "student"));
        assertTrue(e.getMessage().startsWith("student cannot be written") && e.getMessage().contains("layers_per_block")
                && e.getMessage().contains("by position"), e.getMessage());
    }
}
