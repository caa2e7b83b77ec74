package dev.bkd.core.unet;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.types.Shape;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.modules.Attention;
import dev.bkd.core.modules.Taps;
import dev.bkd.core.weights.Weights;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Module trees built from published configs, without allocating weights (declared shapes only). */
class UNetStructureTest {

    @Test
    void sd15HasThePublishedParameterCount() {
        UNet2DConditionModel m = new UNet2DConditionModel(UNet2DConditionConfig.preset("sd15"));
        assertEquals(859_520_964L, m.parameterCount());
        Map<String, Weights.Slot> s = Weights.slots(m);
        assertEquals(686, s.size(), "tensors in SD1.5's diffusion_pytorch_model.safetensors");
        // conv projections, 8 heads of width 40 in the first block
        assertEquals(new Shape(320, 320, 1, 1), s.get("down_blocks.0.attentions.0.proj_in.weight").shape());
        assertEquals(new Shape(320, 768), s.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight").shape());
        assertEquals(new Shape(2560, 320), s.get("down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight").shape());
        assertEquals(new Shape(320, 1280), s.get("down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight").shape());
        assertEquals(new Shape(1280, 2560, 3, 3), s.get("up_blocks.0.resnets.0.conv1.weight").shape());
        assertEquals(new Shape(640, 1920, 1, 1), s.get("up_blocks.2.resnets.0.conv_shortcut.weight").shape());
        assertEquals(new Shape(640, 960, 1, 1), s.get("up_blocks.2.resnets.2.conv_shortcut.weight").shape());
        assertEquals(new Shape(320, 960, 3, 3), s.get("up_blocks.3.resnets.0.conv1.weight").shape());
        assertEquals(new Shape(1280, 1280, 3, 3), s.get("up_blocks.0.upsamplers.0.conv.weight").shape());
        assertEquals(new Shape(320, 320, 3, 3), s.get("down_blocks.0.downsamplers.0.conv.weight").shape());
        assertFalse(s.containsKey("down_blocks.3.downsamplers.0.conv.weight"));
        assertFalse(s.containsKey("up_blocks.3.upsamplers.0.conv.weight"));
        assertEquals(new Shape(1280, 320), s.get("time_embedding.linear_1.weight").shape());
        assertEquals(8, attention(m, "down_blocks.0.attentions.0").spec.heads());
        assertEquals(40, attention(m, "down_blocks.0.attentions.0").spec.dimHead());
        assertEquals(160, attention(m, "mid_block.attentions.0").spec.dimHead());
    }

    @Test
    void sd21HasThePublishedParameterCountLinearProjectionsAndPerBlockHeads() {
        UNet2DConditionConfig c = UNet2DConditionConfig.preset("sd21");
        UNet2DConditionModel m = new UNet2DConditionModel(c);
        assertEquals(865_910_724L, m.parameterCount());
        Map<String, Weights.Slot> s = Weights.slots(m);
        assertEquals(686, s.size());
        assertEquals(new Shape(320, 320), s.get("down_blocks.0.attentions.0.proj_in.weight").shape());
        assertEquals(new Shape(320, 320), s.get("down_blocks.0.attentions.1.proj_out.weight").shape());
        assertEquals(new Shape(1280, 1280), s.get("mid_block.attentions.0.proj_in.weight").shape());
        assertEquals(new Shape(640, 640), s.get("up_blocks.2.attentions.2.proj_out.weight").shape());
        assertEquals(new Shape(320, 1024), s.get("up_blocks.3.attentions.0.transformer_blocks.0.attn2.to_v.weight").shape());
        // attention_head_dim [5, 10, 20, 20] = heads per block; all heads are 64 wide; up blocks mirror
        String[][] expect = {
            {"down_blocks.0.attentions.0", "5"}, {"down_blocks.1.attentions.1", "10"},
            {"down_blocks.2.attentions.0", "20"}, {"mid_block.attentions.0", "20"},
            {"up_blocks.1.attentions.0", "20"}, {"up_blocks.2.attentions.2", "10"}, {"up_blocks.3.attentions.1", "5"}};
        for (String[] e : expect) {
            Attention a1 = attention(m, e[0]);
            assertEquals(Integer.parseInt(e[1]), a1.spec.heads(), e[0]);
            assertEquals(64, a1.spec.dimHead(), e[0]);
            assertTrue(a1.spec.upcastAttention(), e[0] + ": sd21 sets upcast_attention");
        }
    }

    @Test
    void perBlockCrossAttentionDimsAndTransformerDepthsMirrorInTheUpPath() {
        UNet2DConditionConfig c = UNet2DConditionConfig.builder().blockOutChannels(32, 64).normNumGroups(8)
                .downBlockTypes(dev.bkd.core.config.UNetBlockType.CrossAttnDownBlock2D,
                        dev.bkd.core.config.UNetBlockType.CrossAttnDownBlock2D)
                .upBlockTypes(dev.bkd.core.config.UNetBlockType.CrossAttnUpBlock2D,
                        dev.bkd.core.config.UNetBlockType.CrossAttnUpBlock2D)
                .attentionHeadDim(2, 4).crossAttentionDim(12, 20).transformerLayersPerBlock(1, 2).layersPerBlock(1, 2)
                .useLinearProjection(true).build();
        Map<String, Weights.Slot> s = Weights.slots(new UNet2DConditionModel(c));
        assertEquals(new Shape(32, 12), s.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight").shape());
        assertEquals(new Shape(64, 20), s.get("down_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight").shape());
        assertEquals(new Shape(64, 20), s.get("mid_block.attentions.0.transformer_blocks.1.attn2.to_k.weight").shape());
        // up block 0 mirrors down block 1 (3 resnets = layers 2 + 1), up block 1 mirrors down block 0 (2 resnets)
        assertTrue(s.containsKey("up_blocks.0.attentions.2.transformer_blocks.1.norm1.weight"));
        assertFalse(s.containsKey("up_blocks.1.attentions.2.norm.weight"));
        assertEquals(new Shape(32, 12), s.get("up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_k.weight").shape());
        assertFalse(s.containsKey("up_blocks.1.attentions.0.transformer_blocks.1.norm1.weight"));
        assertEquals(new Shape(32, 32), s.get("up_blocks.1.attentions.0.proj_in.weight").shape());
    }

    private static Attention attention(UNet2DConditionModel m, String transformer) {
        return (Attention) Taps.tappable(m).get(transformer + ".transformer_blocks.0.attn1");
    }
}
