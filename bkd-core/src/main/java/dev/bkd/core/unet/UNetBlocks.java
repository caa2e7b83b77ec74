package dev.bkd.core.unet;

import dev.bkd.core.config.UNetBlockType;
import dev.bkd.core.nn.Module;

/** The one factory from parsed block type to block. */
final class UNetBlocks {
    private UNetBlocks() {}

    static Module create(UNetBlockType type, BlockSpec spec) {
        return switch (type) {
            case CrossAttnDownBlock2D -> new CrossAttnDownBlock2D(spec);
            case DownBlock2D -> new DownBlock2D(spec);
            case UNetMidBlock2DCrossAttn -> new UNetMidBlock2DCrossAttn(spec);
            case UpBlock2D -> new UpBlock2D(spec);
            case CrossAttnUpBlock2D -> new CrossAttnUpBlock2D(spec);
        };
    }
}
