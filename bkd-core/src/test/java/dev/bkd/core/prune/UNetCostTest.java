package dev.bkd.core.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.testing.MacArithmetic;
import dev.bkd.core.testing.RefData;
import dev.bkd.core.unet.UNet2DConditionModel;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UNetCostTest {

    /** BK-SDM paper, Table 1 / count_macs_params.py: UNet MACs at 512x512 (latent 64), batch 1, 77 tokens. */
    @ParameterizedTest
    @CsvSource({"teacher, 338749194240", "base, 223755632640", "small, 217727959040", "tiny, 205035274240"})
    void publishedSd15Macs(String variant, long expected) {
        UNet2DConditionConfig t = UNet2DConditionConfig.preset("sd15");
        UNet2DConditionConfig c = variant.equals("teacher") ? t : PrunePlan.derive(t, PruneSpec.builtIn(variant))
                .student();
        assertEquals(expected, UNetCost.of(c, 64, 77).macs(), "block-tree walk");
        assertEquals(expected, MacArithmetic.unet(c, 64, 77), "closed-form arithmetic");
    }

    /** The walk agrees with the closed form on other widths, depths, sizes, linear projections and 2-3 stages. */
    @Test
    void walkAgreesWithArithmeticElsewhere() {
        UNet2DConditionConfig ref = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        UNet2DConditionConfig three = UNet2DConditionConfig.builder().blockOutChannels(32, 48, 64).normNumGroups(8)
                .downBlockTypes(UNetBlockType.CrossAttnDownBlock2D, UNetBlockType.CrossAttnDownBlock2D,
                        UNetBlockType.DownBlock2D)
                .upBlockTypes(UNetBlockType.UpBlock2D, UNetBlockType.CrossAttnUpBlock2D,
                        UNetBlockType.CrossAttnUpBlock2D)
                .crossAttentionDim(24).attentionHeadDim(2).layersPerBlock(3, 1, 2).transformerLayersPerBlock(2)
                .useLinearProjection(true).build();
        List<UNet2DConditionConfig> configs = List.of(ref, UNet2DConditionConfig.preset("sd21"), three,
                PrunePlan.derive(ref, PruneSpec.builtIn("tiny")).student(),
                PrunePlan.derive(three, PruneSpec.builtIn("small")).student());
        for (UNet2DConditionConfig c : configs) {
            for (int latent : new int[] {8, 16, 32}) {
                assertEquals(MacArithmetic.unet(c, latent, 77), UNetCost.of(c, latent, 77).macs(), c + " @" + latent);
            }
            assertEquals(MacArithmetic.unet(c, 16, 5), UNetCost.of(c, 16, 5).macs(), "text length 5");
        }
    }

    @Test
    void rowsSumToTheModelAndDescribeTheBlocks() {
        UNet2DConditionConfig t = UNet2DConditionConfig.read(RefData.models().resolve("unet/config.json"));
        UNet2DConditionConfig tiny = PrunePlan.derive(t, PruneSpec.builtIn("tiny")).student();
        UNetCost cost = UNetCost.of(tiny, 16, 77);
        assertEquals(new UNet2DConditionModel(tiny).parameterCount(), cost.parameters());
        assertEquals(List.of("stem", "down 0", "down 1", "down 2", "up 0", "up 1", "up 2", "head"),
                cost.rows().stream().map(UNetCost.Row::stage).toList());
        UNetCost.Row up0 = cost.rows().get(4);
        assertEquals(2, up0.resnets());
        assertEquals(2, up0.attentions());
        assertEquals(4, up0.height(), "the innermost remaining stage runs at latent / 4");
        assertEquals(3, UNetCost.of(t, 16, 77).rows().stream().filter(r -> r.stage().equals("mid"))
                .mapToInt(r -> r.resnets() + r.attentions()).sum());
        assertThrows(IllegalArgumentException.class, () -> UNetCost.of(t, 12, 77), "12 is not a multiple of 8");
    }
}
