package dev.bkd.core.pickle;

/**
 * The pickle names a global (a function or class) outside the weights-only allow-list, or uses an opcode that
 * would call one. Raised when the reference is read, before anything is called or allocated for it.
 */
public class UnsafePickleException extends PickleException {
    private final String global;

    public UnsafePickleException(String source, String global, String what) {
        super(source + ": refused to load: the pickle " + what + " `" + global + "`, which is not a tensor"
                + " rebuild function, storage type or plain container. A weights-only load (like"
                + " torch.load(weights_only=True)) never calls it; if you trust the file, re-save its state dict"
                + " as safetensors with Python.");
        this.global = global;
    }

    /** The refused {@code module.name}. */
    public String global() {
        return global;
    }
}
