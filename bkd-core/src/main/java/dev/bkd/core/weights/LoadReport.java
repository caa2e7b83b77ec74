package dev.bkd.core.weights;

import java.util.List;

/** What a non-strict load found, like PyTorch's load_state_dict return value (plus shape mismatches). */
public record LoadReport(List<String> missing, List<String> unexpected, List<String> mismatched) {
    private static final int SHOWN = 20;

    public boolean clean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        section(sb, "Missing key(s) (in the model, not in the weights)", missing);
        section(sb, "Unexpected key(s) (in the weights, not in the model)", unexpected);
        section(sb, "Size mismatch(es)", mismatched);
        return sb.toString().stripTrailing();
    }

    private static void section(StringBuilder sb, String title, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        sb.append("  ").append(title).append(": ").append(keys.size()).append('\n');
        for (int i = 0; i < Math.min(SHOWN, keys.size()); i++) {
            sb.append("    ").append(keys.get(i)).append('\n');
        }
        if (keys.size() > SHOWN) {
            sb.append("    ... and ").append(keys.size() - SHOWN).append(" more\n");
        }
    }
}
