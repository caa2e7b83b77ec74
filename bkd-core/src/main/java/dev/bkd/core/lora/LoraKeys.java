package dev.bkd.core.lora;

import java.util.List;

/**
 * Reads one LoRA tensor name: which model component it belongs to, which layer (a dotted path, or for kohya
 * the path with underscores, resolved later against the model), and which part (A, B or alpha). Layouts:
 * PEFT/diffusers ({@code unet.<path>.lora_A.weight}), older diffusers ({@code .lora.down.weight},
 * {@code .lora_linear_layer.down.weight}, {@code .processor.to_q_lora.down.weight}) and kohya
 * ({@code lora_unet_<path_with_underscores>.lora_down.weight}, {@code .alpha}). Unprefixed diffusers keys
 * belong to the UNet, as diffusers reads them.
 */
final class LoraKeys {
    static final String UNET = "unet";
    static final String TEXT_ENCODER = "text_encoder";
    static final String TEXT_ENCODER_2 = "text_encoder_2";

    enum Part { A, B, ALPHA }

    /** A parsed key; {@code layer} is dotted, or kohya's underscored name when {@code format} is KOHYA. */
    record Parsed(String component, String layer, Part part, LoraFormat format) {}

    private record Prefix(String text, String component) {}

    /** A name ending; {@code unetTail}/{@code teTail} replace an old attention-processor name. */
    private record Suffix(String text, Part part, LoraFormat format, String unetTail, String teTail) {}

    private static final List<Prefix> KOHYA_PREFIXES = List.of(new Prefix("lora_unet_", UNET),
            new Prefix("lora_te1_", TEXT_ENCODER), new Prefix("lora_te2_", TEXT_ENCODER_2),
            new Prefix("lora_te_", TEXT_ENCODER));
    private static final List<Suffix> KOHYA_SUFFIXES = List.of(
            new Suffix(".lora_down.weight", Part.A, LoraFormat.KOHYA, null, null),
            new Suffix(".lora_up.weight", Part.B, LoraFormat.KOHYA, null, null),
            new Suffix(".alpha", Part.ALPHA, LoraFormat.KOHYA, null, null));
    private static final List<String> COMPONENTS = List.of(UNET, TEXT_ENCODER_2, TEXT_ENCODER);
    private static final List<Suffix> DIFFUSERS_SUFFIXES = List.of(
            new Suffix(".lora_A.weight", Part.A, LoraFormat.PEFT, null, null),
            new Suffix(".lora_B.weight", Part.B, LoraFormat.PEFT, null, null),
            new Suffix(".lora.down.weight", Part.A, LoraFormat.DIFFUSERS_OLD, null, null),
            new Suffix(".lora.up.weight", Part.B, LoraFormat.DIFFUSERS_OLD, null, null),
            new Suffix(".lora_linear_layer.down.weight", Part.A, LoraFormat.DIFFUSERS_OLD, null, null),
            new Suffix(".lora_linear_layer.up.weight", Part.B, LoraFormat.DIFFUSERS_OLD, null, null),
            old("to_q", "q_proj", Part.A), old("to_q", "q_proj", Part.B),
            old("to_k", "k_proj", Part.A), old("to_k", "k_proj", Part.B),
            old("to_v", "v_proj", Part.A), old("to_v", "v_proj", Part.B),
            old("to_out", "out_proj", Part.A), old("to_out", "out_proj", Part.B),
            new Suffix(".alpha", Part.ALPHA, LoraFormat.PEFT, null, null));

    private LoraKeys() {}

    /** diffusers' attention-processor LoRA: {@code <attn>.processor.to_q_lora.down.weight}. */
    private static Suffix old(String proc, String te, Part part) {
        String unetTail = proc.equals("to_out") ? ".to_out.0" : "." + proc;
        return new Suffix("." + proc + "_lora." + (part == Part.A ? "down" : "up") + ".weight", part,
                LoraFormat.DIFFUSERS_OLD, unetTail, "." + te);
    }

    /** The parsed key, or null when it is no LoRA A/B/alpha name bkd knows. */
    static Parsed parse(String key) {
        for (Prefix p : KOHYA_PREFIXES) {
            if (key.startsWith(p.text())) {
                return match(p.component(), key.substring(p.text().length()), KOHYA_SUFFIXES);
            }
        }
        String component = UNET;
        String rest = key;
        for (String c : COMPONENTS) {
            if (key.startsWith(c + ".")) {
                component = c;
                rest = key.substring(c.length() + 1);
                break;
            }
        }
        return match(component, rest.replace(".processor.", "."), DIFFUSERS_SUFFIXES);
    }

    private static Parsed match(String component, String rest, List<Suffix> suffixes) {
        for (Suffix s : suffixes) {
            if (rest.endsWith(s.text()) && rest.length() > s.text().length()) {
                String layer = rest.substring(0, rest.length() - s.text().length());
                if (s.unetTail() != null) {
                    layer += component.equals(UNET) ? s.unetTail() : s.teTail();
                }
                return new Parsed(component, layer, s.part(), s.format());
            }
        }
        return null;
    }

    /** kohya's layer name for a dotted path (sd-scripts replaces every '.' with '_'). */
    static String kohyaName(String path) {
        return path.replace('.', '_');
    }
}
