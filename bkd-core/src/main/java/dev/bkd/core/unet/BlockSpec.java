package dev.bkd.core.unet;

/**
 * What diffusers' get_down_block / get_mid_block / get_up_block receive for one block, computed once by
 * {@link UNet2DConditionModel} from the config.
 *
 * @param prevOutputChannels up blocks: the width coming from the block below (unused elsewhere)
 * @param addSampler down blocks: add {@code downsamplers.0}; up blocks: add {@code upsamplers.0}
 * @param attention the Transformer2DModel settings, or null for blocks without attention
 */
public record BlockSpec(int inChannels, int outChannels, int prevOutputChannels, int tembChannels, int numLayers,
        boolean addSampler, int groups, float eps, String actFn, double outputScaleFactor, int downsamplePadding,
        AttentionSpec attention) {

    /** Transformer2DModel settings of one block; head width = channels / heads. */
    public record AttentionSpec(int heads, int transformerLayers, int crossAttentionDim, boolean useLinearProjection,
            boolean onlyCrossAttention, boolean upcastAttention) {}
}
