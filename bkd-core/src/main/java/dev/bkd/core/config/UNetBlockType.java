package dev.bkd.core.config;

import java.util.Arrays;
import java.util.List;

/** The UNet2DConditionModel block kinds bkd implements, parsed once from the config's block type names. */
public enum UNetBlockType {
    CrossAttnDownBlock2D(Stage.DOWN, true),
    DownBlock2D(Stage.DOWN, false),
    UNetMidBlock2DCrossAttn(Stage.MID, true),
    UpBlock2D(Stage.UP, false),
    CrossAttnUpBlock2D(Stage.UP, true);

    /** Where in the UNet a block kind may sit. */
    public enum Stage { DOWN, MID, UP }

    public final Stage stage;
    public final boolean crossAttention;

    UNetBlockType(Stage stage, boolean crossAttention) {
        this.stage = stage;
        this.crossAttention = crossAttention;
    }

    /** The kinds allowed at {@code stage}. */
    public static List<UNetBlockType> of(Stage stage) {
        return Arrays.stream(values()).filter(t -> t.stage == stage).toList();
    }

    /**
     * Parses a diffusers block type name for {@code stage}; diffusers' legacy "UNetRes" prefix is accepted.
     * Returns null for an unknown name (the caller names the field).
     */
    public static UNetBlockType parse(String name, Stage stage) {
        String n = name.startsWith("UNetRes") ? name.substring(7) : name;
        for (UNetBlockType t : of(stage)) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        return null;
    }
}
