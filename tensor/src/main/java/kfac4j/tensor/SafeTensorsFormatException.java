package kfac4j.tensor;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a valid safetensors file; the message names the file and what is wrong with it. */
public final class SafeTensorsFormatException extends IOException {
    private final transient Path file;

    public SafeTensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafeTensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
