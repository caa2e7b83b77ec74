package dev.bkd.models.image;

import java.util.Arrays;
import java.util.Locale;

/** diffusers' VaeImageProcessor {@code resize_mode}: how an image of another size is fitted to the target size. */
public enum ResizeMode {
    /** Stretch to the target size, ignoring the aspect ratio (diffusers' default). */
    DEFAULT("default"),
    /** Scale so the image covers the target, keeping its aspect ratio, then cut the overhang centred. */
    CROP("crop");

    private final String diffusersName;

    ResizeMode(String diffusersName) {
        this.diffusersName = diffusersName;
    }

    /** The {@code resize_mode} string diffusers uses. */
    public String diffusersName() {
        return diffusersName;
    }

    /** The mode named {@code name} (diffusers' spelling, case-insensitive). */
    public static ResizeMode parse(String name) {
        for (ResizeMode m : values()) {
            if (m.diffusersName.equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new ImageInputException("resize mode \"" + name + "\" is not known; use one of "
                + Arrays.stream(values()).map(m -> m.diffusersName).toList().toString().toLowerCase(Locale.ROOT));
    }
}
