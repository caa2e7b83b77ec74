package dev.bkd.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.AutoencoderKLConfig;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.singlefile.LdmComponent;
import dev.bkd.core.singlefile.SingleFileException;
import dev.bkd.core.singlefile.SingleFileWriter;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a pipeline as one original-layout (LDM / A1111 / ComfyUI) safetensors file with the keys diffusers'
 * {@code convert_diffusers_to_original_stable_diffusion.py} writes. The LDM layout numbers blocks by position
 * (input_blocks.1..11, output_blocks.0..11), so only the standard SD block layout fits; a pruned BK-SDM student
 * (blocks or mid-block removed) is refused with the reason.
 */
public final class SingleFileExport {
    /** The SD1.x/SD2.x UNet layout the LDM numbering encodes. */
    private static final List<UNetBlockType> DOWN = List.of(UNetBlockType.CrossAttnDownBlock2D,
            UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.DownBlock2D);
    private static final List<UNetBlockType> UP = List.of(UNetBlockType.UpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
            UNetBlockType.CrossAttnUpBlock2D, UNetBlockType.CrossAttnUpBlock2D);
    private static final int LAYERS = 2;

    private SingleFileExport() {}

    /** Writes {@code pipe}'s UNet, VAE and text encoder to {@code file} (atomically). */
    public static void write(DiffusionPipeline pipe, Path file) {
        checkLayout(pipe.unet().config(), pipe.vae().config(), pipe.modelName());
        ClipTextConfig text = pipe.textEncoder().config();
        // SD2.x's OpenCLIP text tower is the GELU one; CLIP ViT-L (SD1.x) uses quick_gelu
        LdmComponent textLayout = text.hiddenAct().equals("gelu") ? LdmComponent.TEXT_OPENCLIP : LdmComponent.TEXT_CLIP;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> te = new LinkedHashMap<>(Weights.stateDict(pipe.textEncoder()));
            // the converter copies transformers' position_ids buffer (arange) into the file; so do we
            long[] ids = new long[text.maxPositionEmbeddings()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i;
            }
            te.put("text_model.embeddings.position_ids", m.create(ids, new Shape(1, ids.length)));
            List<SingleFileWriter.Part> parts = List.of(
                    new SingleFileWriter.Part(LdmComponent.UNET, Weights.stateDict(pipe.unet()), 0),
                    new SingleFileWriter.Part(LdmComponent.VAE, Weights.stateDict(pipe.vae()), 0),
                    new SingleFileWriter.Part(textLayout, te, text.numHiddenLayers()));
            dev.bkd.core.safetensors.SafetensorsWriter.write(file, SingleFileWriter.convert(parts, m, file.toString()));
        }
    }

    /** Refuses anything the positional LDM numbering cannot express, naming the first difference. */
    static void checkLayout(UNet2DConditionConfig unet, AutoencoderKLConfig vae, String model) {
        List<String> why = new ArrayList<>();
        if (!unet.downBlockTypes().equals(DOWN)) {
            why.add("down blocks " + unet.downBlockTypes() + " (LDM: " + DOWN + ")");
        }
        if (!unet.upBlockTypes().equals(UP)) {
            why.add("up blocks " + unet.upBlockTypes() + " (LDM: " + UP + ")");
        }
        if (unet.midBlockType() != UNetBlockType.UNetMidBlock2DCrossAttn) {
            why.add("mid block " + unet.midBlockType() + " (LDM: UNetMidBlock2DCrossAttn; BK-SDM small/tiny remove it)");
        }
        if (unet.layersPerBlock().stream().anyMatch(n -> n != LAYERS)) {
            why.add("layers_per_block " + unet.layersPerBlock() + " (LDM: " + LAYERS
                    + " everywhere; BK-SDM students drop resnet/attention pairs)");
        }
        if (vae.blockOutChannels().size() != 4 || vae.layersPerBlock() != LAYERS) {
            why.add("VAE with " + vae.blockOutChannels().size() + " levels x " + vae.layersPerBlock()
                    + " layers (LDM: 4 x 2)");
        }
        if (!why.isEmpty()) {
            throw new SingleFileException(model + " cannot be written as an original-layout single file: the LDM"
                    + " layout numbers blocks by position (input_blocks.1..11, middle_block, output_blocks.0..11) and"
                    + " only fits the standard SD1.x/SD2.x block layout, but this model has " + String.join("; ", why)
                    + ". Keep it as a diffusers folder (bkd and diffusers load it).");
        }
    }
}
