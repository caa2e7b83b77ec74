package dev.bkd.core.prune;

import ai.djl.nn.Block;
import dev.bkd.core.config.UNet2DConditionConfig;
import dev.bkd.core.modules.Attention;
import dev.bkd.core.modules.Downsample2D;
import dev.bkd.core.modules.ResnetBlock2D;
import dev.bkd.core.modules.Upsample2D;
import dev.bkd.core.nn.Conv2d;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Linear;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;
import dev.bkd.core.unet.UNet2DConditionModel;
import dev.bkd.core.weights.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parameters and multiply-accumulates of one UNet forward (batch 1), per top-level block, from the declared block
 * tree and a shape-propagating walk (no weights, no tensors). MACs are counted like the BK-SDM authors' thop
 * profile: conv = output elements x C_in x k^2; linear = input features x output elements; LayerNorm = 4 per
 * element (thop's 2, doubled for the affine transform); GroupNorm, activations, attention matmuls and
 * interpolation count nothing. Sizes must be divisible by 2^(stages-1).
 */
public record UNetCost(int latentHeight, int latentWidth, int textTokens, List<Row> rows) {

    /**
     * One row: {@code stage} is "stem" (conv_in + time embedding), "down i", "mid", "up i" or "head"
     * (conv_norm_out + conv_out); resolution is the latent size the block's resnets run at.
     */
    public record Row(String stage, String path, String type, int resnets, int attentions, int inChannels,
            int outChannels, int height, int width, long parameters, long macs) {}

    public UNetCost {
        rows = List.copyOf(rows);
    }

    public long parameters() {
        return rows.stream().mapToLong(Row::parameters).sum();
    }

    public long macs() {
        return rows.stream().mapToLong(Row::macs).sum();
    }

    /** The cost of {@code config} at {@code latent} x {@code latent} (image size / 8) with {@code textTokens} tokens. */
    public static UNetCost of(UNet2DConditionConfig config, int latent, int textTokens) {
        return of(new UNet2DConditionModel(config), latent, latent, textTokens);
    }

    public static UNetCost of(UNet2DConditionModel unet, int height, int width, int textTokens) {
        UNet2DConditionConfig c = unet.config();
        int n = c.numBlocks();
        int f = 1 << c.numUpsamplers();
        if (height < 1 || width < 1 || height % f != 0 || width % f != 0) {
            throw new IllegalArgumentException("UNet cost: latent size " + height + "x" + width + " must be a positive"
                    + " multiple of " + f + " for " + n + " stages");
        }
        Map<String, Block> top = unet.childMap();
        List<Row> rows = new ArrayList<>();
        Res full = new Res(height, width, textTokens);
        rows.add(row("stem", "conv_in+time_embedding", "-", 0, 0, c.inChannels(), c.blockOutChannels().get(0), full,
                List.of(top.get("conv_in")), List.of(full), top.get("time_embedding"), textTokens));
        ModuleList<?> down = (ModuleList<?>) top.get("down_blocks");
        for (int i = 0; i < n; i++) {
            Res r = full.down(i);
            rows.add(block("down " + i, "down_blocks." + i, c.downBlockTypes().get(i).name(), (Module) down.get(i),
                    i == 0 ? c.blockOutChannels().get(0) : c.blockOutChannels().get(i - 1), c.blockOutChannels().get(i),
                    r));
        }
        if (top.containsKey("mid_block")) {
            int w = c.blockOutChannels().get(n - 1);
            rows.add(block("mid", "mid_block", c.midBlockType().name(), (Module) top.get("mid_block"), w, w,
                    full.down(n - 1)));
        }
        ModuleList<?> up = (ModuleList<?>) top.get("up_blocks");
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i;
            rows.add(block("up " + i, "up_blocks." + i, c.upBlockTypes().get(i).name(), (Module) up.get(i),
                    c.blockOutChannels().get(i == 0 ? n - 1 : r + 1), c.blockOutChannels().get(r), full.down(r)));
        }
        rows.add(row("head", "conv_norm_out+conv_out", "-", 0, 0, c.blockOutChannels().get(0), c.outChannels(), full,
                List.of(top.get("conv_norm_out"), top.get("conv_out")), List.of(full, full), null, textTokens));
        return new UNetCost(height, width, textTokens, rows);
    }

    private static Row block(String stage, String path, String type, Module m, int in, int out, Res r) {
        Map<String, Block> ch = m.childMap();
        return new Row(stage, path, type, size(ch.get("resnets")), size(ch.get("attentions")), in, out, r.h, r.w,
                Weights.parameterCount(m), macs(m, r));
    }

    private static Row row(String stage, String path, String type, int resnets, int attentions, int in, int out,
            Res r, List<Block> spatial, List<Res> at, Block timeEmbedding, int textTokens) {
        long params = 0;
        long macs = 0;
        for (int i = 0; i < spatial.size(); i++) {
            params += Weights.parameterCount((Module) spatial.get(i));
            macs += macs(spatial.get(i), at.get(i));
        }
        if (timeEmbedding != null) {
            params += Weights.parameterCount((Module) timeEmbedding);
            macs += macs(timeEmbedding, new Res(1, 1, textTokens)); // one embedding vector per sample
        }
        return new Row(stage, path, type, resnets, attentions, in, out, r.h, r.w, params, macs);
    }

    private static int size(Block b) {
        return b == null ? 0 : ((ModuleList<?>) b).size();
    }

    /** Spatial size a module runs at (tokens = h·w), plus the text length for cross-attention keys/values. */
    private record Res(int h, int w, int text) {
        Res down(int times) {
            return new Res(h >> times, w >> times, text);
        }

        long tokens() {
            return (long) h * w;
        }
    }

    private static long macs(Block b, Res r) {
        if (b instanceof Conv2d c) {
            return (long) c.outChannels * r.tokens() * c.inChannels * c.kernel * c.kernel;
        }
        if (b instanceof Linear l) {
            return (long) l.inFeatures * l.outFeatures * r.tokens();
        }
        if (b instanceof LayerNorm n) {
            return 4L * n.dim * r.tokens();
        }
        Map<String, Block> ch = b instanceof Module m ? m.childMap() : Map.of();
        long sum = 0;
        for (Map.Entry<String, Block> e : ch.entrySet()) {
            sum += macs(e.getValue(), childRes(b, e.getKey(), r));
        }
        return sum;
    }

    /** Where a child runs relative to its parent: the few modules whose children change resolution or token count. */
    private static Res childRes(Block parent, String child, Res r) {
        if (parent instanceof Downsample2D) {
            return new Res(r.h / 2, r.w / 2, r.text); // stride-2 conv: counted at its output size
        }
        if (parent instanceof Upsample2D) {
            return new Res(r.h * 2, r.w * 2, r.text); // conv after nearest 2x interpolation
        }
        if (parent instanceof ResnetBlock2D && child.equals("time_emb_proj")) {
            return new Res(1, 1, r.text);
        }
        if (parent instanceof Attention a && a.spec.crossAttentionDim() > 0
                && (child.equals("to_k") || child.equals("to_v"))) {
            return new Res(r.text, 1, r.text);
        }
        return r;
    }
}
