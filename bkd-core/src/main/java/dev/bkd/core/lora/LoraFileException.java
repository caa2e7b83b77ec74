package dev.bkd.core.lora;

/** A LoRA file that does not fit the model: wrong shapes, a half adapter, or (strict) keys it could not place. */
public class LoraFileException extends LoraException {
    private final LoraLoadReport report;

    public LoraFileException(String message, LoraLoadReport report) {
        super(message);
        this.report = report;
    }

    /** What the loader found, when the failure came from placing keys; else null. */
    public LoraLoadReport report() {
        return report;
    }
}
