package dev.bkd.examples.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.io.ProcStatus;
import dev.bkd.core.nn.Module;
import dev.bkd.core.singlefile.LdmComponent;
import dev.bkd.core.singlefile.LdmComponentView;
import dev.bkd.core.singlefile.LdmKeyMap;
import dev.bkd.core.singlefile.SingleFile;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import dev.bkd.models.clip.ClipTextModel;
import dev.bkd.models.vae.AutoencoderKL;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads an SD1.5-shaped single file (the real key names and shapes of {@code v1-5-pruned-emaonly}: UNet, VAE,
 * CLIP ViT-L) the way {@code DiffusionPipeline.fromSingleFile} does, keeping every model alive,
 * and prints the peak RSS (VmHWM) against the file size; the target is at most 1.2x. The file is written as a
 * sparse safetensors (header only, holes for the data), so it costs no disk and no time to make.
 * Usage: {@code SingleFileLoadBenchmark [f16|f32]} (default f16: 2.1 GB, loaded as float16; f32: 4.3 GB).
 */
public final class SingleFileLoadBenchmark {
    private SingleFileLoadBenchmark() {}

    /** SD1.5's vae/config.json and text_encoder/config.json fields that decide shapes. */
    private static final String VAE = "{\"block_out_channels\": [128, 256, 512, 512], \"down_block_types\":"
            + " [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\", \"DownEncoderBlock2D\", \"DownEncoderBlock2D\"],"
            + " \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\", \"UpDecoderBlock2D\","
            + " \"UpDecoderBlock2D\"], \"layers_per_block\": 2, \"latent_channels\": 4, \"norm_num_groups\": 32,"
            + " \"sample_size\": 512, \"in_channels\": 3, \"out_channels\": 3, \"act_fn\": \"silu\"}";
    private static final String TEXT = "{\"vocab_size\": 49408, \"hidden_size\": 768, \"intermediate_size\": 3072,"
            + " \"projection_dim\": 768, \"num_hidden_layers\": 12, \"num_attention_heads\": 12,"
            + " \"max_position_embeddings\": 77, \"hidden_act\": \"quick_gelu\", \"layer_norm_eps\": 1e-5}";

    public static void main(String[] args) throws IOException {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        boolean f32 = args.length > 0 && args[0].equals("f32");
        UNet2DConditionConfig unetCfg = UNet2DConditionConfig.preset("sd15");
        AutoencoderKLConfig vaeCfg = AutoencoderKLConfig.from(ConfigReader.parse("SD1.5 vae", VAE));
        ClipTextConfig textCfg = ClipTextConfig.from(ConfigReader.parse("SD1.5 text_encoder", TEXT));
        Path dir = Files.createTempDirectory("bkd-single-file-bench");
        Path file = dir.resolve("sd15-like.safetensors");
        try {
            Map<String, Shape> shapes = new LinkedHashMap<>();
            add(shapes, LdmComponent.UNET, new UNet2DConditionModel(unetCfg), 0);
            add(shapes, LdmComponent.VAE, new AutoencoderKL(vaeCfg), 0);
            add(shapes, LdmComponent.TEXT_CLIP, new ClipTextModel(textCfg), textCfg.numHiddenLayers());
            writeSparse(file, shapes, f32 ? "F32" : "F16", f32 ? 4 : 2);
            run(file, unetCfg, vaeCfg, textCfg, f32 ? DataType.FLOAT32 : DataType.FLOAT16, shapes.size());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private static void run(Path file, UNet2DConditionConfig unetCfg, AutoencoderKLConfig vaeCfg,
            ClipTextConfig textCfg, DataType dtype, int tensors) throws IOException {
        long size = Files.size(file);
        try (NDManager m = NDManager.newBaseManager()) {
            m.create(0f).close(); // engine up before the baseline
            long base = ProcStatus.kiB("VmRSS").orElse(-1);
            long t0 = System.nanoTime();
            Weights.LoadOptions load = Weights.LoadOptions.strictFp32().withDtype(dtype);
            try (SingleFile sf = SingleFile.open(file)) {
                LdmComponentView u = sf.unet(false);
                LdmComponentView v = sf.vae();
                LdmComponentView t = sf.textEncoder(textCfg.numHiddenLayers());
                UNet2DConditionModel unet = UNet2DConditionModel.fromStateDict(unetCfg, u, m,
                        new UNet2DConditionModel.Options(ai.djl.Device.cpu(), dtype, null), file.toString());
                AutoencoderKL vae = AutoencoderKL.fromStateDict(vaeCfg, v, m, load, file.toString());
                ClipTextModel text = ClipTextModel.fromStateDict(textCfg, t, m, load, file.toString());
                long t1 = System.nanoTime();
                long hwm = ProcStatus.kiB("VmHWM").orElse(-1);
                long params = Weights.parameterCount(unet) + Weights.parameterCount(vae) + Weights.parameterCount(text);
                double mb = 1024.0 * 1024.0;
                System.out.printf("file            %.1f MB (%s, %d tensors, %.1f M parameters, sparse)%n", size / mb,
                        dtype, tensors, params / 1e6);
                System.out.printf("load            %.2f s (UNet + VAE + text encoder, strict, report %d placed)%n",
                        (t1 - t0) / 1e9, sf.unaccounted(u, v, t).placed());
                System.out.printf("RSS baseline    %.1f MB; peak %.1f MB%n", base / 1024.0, hwm / 1024.0);
                System.out.printf("peak RSS / file %.3f (target <= 1.2); (peak - baseline) / file %.3f%n",
                        hwm * 1024.0 / size, (hwm - base) * 1024.0 / size);
            }
        }
    }

    /** Every parameter of {@code model} under its single-file key and stored shape. */
    private static void add(Map<String, Shape> out, LdmComponent c, Module model, int layers) {
        LdmKeyMap map = LdmKeyMap.of(c, layers);
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(model).entrySet()) {
            LdmKeyMap.Target t = map.toFile(e.getKey()).orElseThrow();
            Shape s = e.getValue().shape();
            Shape stored = switch (t.op().kind()) {
                case COPY -> s;
                case RESHAPE_1X1 -> new Shape(s.get(0), s.get(1), 1, 1);
                case ROWS_OF_3 -> throw new IllegalStateException("no fused tensors in SD1");
            };
            out.put(c.prefix() + t.key(), stored);
        }
    }

    /** A valid safetensors header followed by a hole of the data's size (zeros when read, no disk used). */
    private static void writeSparse(Path file, Map<String, Shape> shapes, String dtype, int bytes) throws IOException {
        StringBuilder h = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            long n = e.getValue().size() * bytes;
            if (h.length() > 1) {
                h.append(',');
            }
            h.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":[");
            long[] d = e.getValue().getShape();
            for (int i = 0; i < d.length; i++) {
                h.append(i == 0 ? "" : ",").append(d[i]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + n).append("]}");
            offset += n;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] len = new byte[8];
            for (int i = 0; i < 8; i++) {
                len[i] = (byte) (((long) header.length) >>> (8 * i));
            }
            f.write(len);
            f.write(header);
            f.setLength(8L + header.length + offset);
        }
    }
}
