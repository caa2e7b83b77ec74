package dev.bkd.core.safetensors;

import dev.bkd.core.BkdException;
import java.nio.file.Path;

/** A safetensors file or index that cannot be read or written; the message names the file and the problem. */
public class SafetensorsException extends BkdException {
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
