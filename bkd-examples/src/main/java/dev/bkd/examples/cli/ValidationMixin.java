package dev.bkd.examples.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Validation samples during training (distill, finetune, lora): prompts and denoising steps. */
final class ValidationMixin {
    @Option(names = "--validation-prompt", paramLabel = "TEXT", description = "Prompt for validation samples (repeatable).")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--validation-steps", defaultValue = "25", paramLabel = "N",
            description = "Denoising steps per sample. Default: ${DEFAULT-VALUE}.")
    int steps;

    /** True when at least one prompt was given. */
    boolean any() {
        return !prompts.isEmpty();
    }
}
