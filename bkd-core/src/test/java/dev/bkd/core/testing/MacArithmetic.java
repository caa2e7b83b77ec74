package dev.bkd.core.testing;

import dev.bkd.core.config.UNet2DConditionConfig;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * An independent closed-form count of a UNet forward's MACs (batch 1) from config fields alone, in the BK-SDM
 * authors' thop convention: conv = out elements x C_in x k^2, linear = in features x out elements, LayerNorm =
 * 4 per element, nothing else. Written from diffusers' block layout, not from bkd's module tree; tests check it
 * against the published SD1.5 figures and then use it as the expected value for other configs.
 */
public final class MacArithmetic {
    private MacArithmetic() {}

    public static long unet(UNet2DConditionConfig c, int latent, int textTokens) {
        if (c.onlyCrossAttention().contains(true)) {
            throw new IllegalArgumentException("only_cross_attention is not covered");
        }
        List<Integer> boc = c.blockOutChannels();
        int n = boc.size();
        long temb = c.timeEmbedDim();
        long hw = (long) latent * latent;
        long m = boc.get(0) * temb + temb * temb; // time_embedding linear_1, linear_2 (one vector)
        m += conv(c.inChannels(), boc.get(0), c.convInKernel(), hw);
        Deque<Integer> skips = new ArrayDeque<>();
        skips.push(boc.get(0));
        int r = latent;
        for (int i = 0; i < n; i++) {
            int ch = boc.get(i);
            for (int l = 0; l < c.layersPerBlock().get(i); l++) {
                m += resnet(l == 0 ? (i == 0 ? boc.get(0) : boc.get(i - 1)) : ch, ch, temb, (long) r * r);
                if (c.downBlockTypes().get(i).crossAttention) {
                    m += transformer(c, i, ch, (long) r * r, textTokens);
                }
                skips.push(ch);
            }
            if (i < n - 1) {
                r /= 2;
                m += conv(ch, ch, 3, (long) r * r); // stride-2 conv, counted at its output
                skips.push(ch);
            }
        }
        if (c.midBlockType() != null) {
            int ch = boc.get(n - 1);
            m += 2 * resnet(ch, ch, temb, (long) r * r) + transformer(c, n - 1, ch, (long) r * r, textTokens);
        }
        int prev = boc.get(n - 1);
        for (int j = 0; j < n; j++) {
            int d = n - 1 - j;
            int ch = boc.get(d);
            for (int l = 0; l <= c.layersPerBlock().get(d); l++) {
                m += resnet((l == 0 ? prev : ch) + skips.pop(), ch, temb, (long) r * r);
                if (c.upBlockTypes().get(j).crossAttention) {
                    m += transformer(c, d, ch, (long) r * r, textTokens);
                }
            }
            prev = ch;
            if (j < n - 1) {
                r *= 2;
                m += conv(ch, ch, 3, (long) r * r);
            }
        }
        return m + conv(boc.get(0), c.outChannels(), c.convOutKernel(), hw);
    }

    private static long conv(long in, long out, long k, long hw) {
        return out * hw * in * k * k;
    }

    private static long resnet(long in, long out, long temb, long hw) {
        return conv(in, out, 3, hw) + temb * out + conv(out, out, 3, hw) + (in != out ? conv(in, out, 1, hw) : 0);
    }

    /** Transformer2DModel: proj_in/out + per layer 3 LayerNorms, self- and cross-attention, GEGLU feed-forward. */
    private static long transformer(UNet2DConditionConfig c, int block, long ch, long hw, long text) {
        long proj = 2 * ch * ch * hw; // 1x1 conv or linear: the same count
        long ctx = c.crossAttentionDim().get(block);
        long layer = 3 * 4 * ch * hw + 4 * ch * ch * hw + 2 * ch * ch * hw + 2 * ctx * ch * text
                + ch * 8 * ch * hw + 4 * ch * ch * hw;
        return proj + c.transformerLayersPerBlock().get(block) * layer;
    }
}
