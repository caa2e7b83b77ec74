package dev.bkd.core.lora;

import dev.bkd.core.BkdException;

/** A LoRA request that cannot be carried out: bad rank/alpha/targets, an unknown adapter, fused state. */
public class LoraException extends BkdException {
    public LoraException(String message) {
        super(message);
    }
}
