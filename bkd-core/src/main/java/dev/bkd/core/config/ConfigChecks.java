package dev.bkd.core.config;

/** Range checks the config records share. */
final class ConfigChecks {
    private ConfigChecks() {}

    /** An int field that must be at least 1 (channels, layers, sizes). */
    static int positiveInt(ConfigReader r, String field, int def) {
        int v = r.getInt(field, def);
        return atLeastOne(r, field, v);
    }

    static int atLeastOne(ConfigReader r, String field, int v) {
        if (v < 1) {
            throw r.error(field, "must be at least 1, found " + v);
        }
        return v;
    }
}
