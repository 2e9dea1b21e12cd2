package kfac4j.examples.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 in its binary version: each file is a sequence of 3073-byte records, one label byte (0..9) then 3×32×32
 * pixel bytes, channel-major (all red, then green, then blue). Loaded as inputs (3, 32, 32) scaled to [0, 1].
 */
public final class Cifar10 {
    public static final int CLASSES = 10;
    public static final int CHANNELS = 3, SIZE = 32;
    static final int PIXELS = CHANNELS * SIZE * SIZE;
    static final int RECORD = 1 + PIXELS;
    public static final List<String> CLASS_NAMES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private Cifar10() {
    }

    /**
     * Loads the records of the given files, in order.
     *
     * @param limit the most examples to keep (the first ones); non-positive keeps all
     */
    public static TensorDataset load(List<Path> files, int limit) throws IOException {
        if (files.isEmpty()) throw new IllegalArgumentException("Cifar10.load: no files given");
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            byte[] bytes;
            try (InputStream in = IdxFile.open(f)) {
                bytes = in.readAllBytes();
            }
            if (bytes.length == 0) throw new DatasetFormatException(f, "is empty; expected 3073-byte CIFAR-10 records");
            if (bytes.length % RECORD != 0) {
                throw new DatasetFormatException(f, "truncated or not CIFAR-10: " + bytes.length + " bytes is not a whole number of "
                        + RECORD + "-byte records (1 label byte + 3×32×32 pixel bytes)");
            }
            for (int r = 0; r < bytes.length / RECORD; r++) {
                int label = bytes[r * RECORD] & 0xFF;
                if (label >= CLASSES) {
                    throw new DatasetFormatException(f, "record " + r + " has label " + label + "; CIFAR-10 labels are 0..9");
                }
            }
            contents.add(bytes);
            total += bytes.length / RECORD;
        }
        int keep = (int) (limit > 0 ? Math.min(limit, total) : total);
        if ((long) keep * PIXELS > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("Cifar10.load: " + keep + " images are too many for one array; pass a limit");
        }
        float[] x = new float[keep * PIXELS];
        int[] y = new int[keep];
        int i = 0;
        for (byte[] bytes : contents) {
            for (int r = 0; r < bytes.length / RECORD && i < keep; r++, i++) {
                y[i] = bytes[r * RECORD] & 0xFF;
                int base = r * RECORD + 1;
                for (int p = 0; p < PIXELS; p++) x[i * PIXELS + p] = (bytes[base + p] & 0xFF) / 255f;
            }
        }
        return TensorDataset.classification(x, new int[]{CHANNELS, SIZE, SIZE}, y, CLASSES);
    }

    /**
     * Loads the training part ({@code data_batch_1.bin} .. {@code data_batch_5.bin}, those present) or the test part
     * ({@code test_batch.bin}) from {@code dir} or from its {@code cifar-10-batches-bin} subdirectory.
     */
    public static TensorDataset loadDirectory(Path dir, boolean train, int limit) throws IOException {
        Path base = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int k = 1; k <= 5; k++) if (Files.isRegularFile(base.resolve("data_batch_" + k + ".bin"))) files.add(base.resolve("data_batch_" + k + ".bin"));
        } else if (Files.isRegularFile(base.resolve("test_batch.bin"))) {
            files.add(base.resolve("test_batch.bin"));
        }
        if (files.isEmpty()) {
            throw new DatasetFormatException(dir, "no CIFAR-10 " + (train ? "data_batch_1..5.bin" : "test_batch.bin")
                    + " found here or in cifar-10-batches-bin/");
        }
        return load(files, limit);
    }

    /** Whether {@code dir} holds CIFAR-10 binary batches under the standard names. */
    public static boolean recognises(Path dir) {
        Path base = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        return Files.isRegularFile(base.resolve("data_batch_1.bin")) || Files.isRegularFile(base.resolve("test_batch.bin"));
    }
}
