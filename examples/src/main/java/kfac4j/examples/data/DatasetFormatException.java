package kfac4j.examples.data;

import java.io.IOException;
import java.nio.file.Path;

/** A dataset file that cannot be read as the format it should be in; the message names the file and the problem. */
public final class DatasetFormatException extends IOException {
    private final Path file;

    public DatasetFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** A problem on one line of a text file (lines count from 1). */
    public DatasetFormatException(Path file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
    }

    public DatasetFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
