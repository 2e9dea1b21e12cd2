package kfac4j.tensor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file all at once: the new content goes to a temporary file in the same directory, is forced to disk,
 * and is then renamed over the target. A reader (or a crash) sees the old file or the new one, never a mixture, and
 * a write that fails at any point leaves the old file as it was and no temporary file behind.
 */
final class AtomicFile {
    private AtomicFile() {
    }

    /** Produces the new content of a file. */
    @FunctionalInterface
    interface Content {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    static void write(Path target, Content content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = createTemporary(dir, target.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                content.writeTo(out);
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } catch (IOException | RuntimeException | Error e) {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    /**
     * A new empty file next to the target. Not {@code Files.createTempFile}, which makes files readable by the owner
     * only; a file created plainly gets the permissions the user's umask gives any new file.
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 100) throw e;
            }
        }
    }

    /** Makes the rename itself durable. Directories cannot be opened for syncing on every platform; that is not an error. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The data itself is on disk; only the rename's durability across a power cut is left to the OS.
        }
    }
}
