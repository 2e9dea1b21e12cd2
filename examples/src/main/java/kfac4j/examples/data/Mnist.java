package kfac4j.examples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * MNIST and Fashion-MNIST from their IDX files (plain or gzip): images (N, rows, cols) of unsigned bytes and labels
 * (N) in 0..9, loaded as a {@link TensorDataset} of inputs (1, rows, cols) scaled to [0, 1].
 */
public final class Mnist {
    public static final int CLASSES = 10;

    private Mnist() {
    }

    /**
     * Loads an image file and its label file.
     *
     * @param limit the most examples to keep (the first ones); non-positive keeps all
     */
    public static TensorDataset load(Path images, Path labels, int limit) throws IOException {
        IdxFile.Array img = IdxFile.read(images);
        IdxFile.Array lab = IdxFile.read(labels);
        if (img.dims().length != 3) {
            throw new DatasetFormatException(images, "expected images of rank 3 (count, rows, cols), found dimensions "
                    + Arrays.toString(img.dims()));
        }
        if (lab.dims().length != 1) {
            throw new DatasetFormatException(labels, "expected labels of rank 1 (count), found dimensions "
                    + Arrays.toString(lab.dims()));
        }
        int n = img.dims()[0], rows = img.dims()[1], cols = img.dims()[2];
        if (lab.dims()[0] != n) {
            throw new DatasetFormatException(labels, "has " + lab.dims()[0] + " labels but " + images + " has " + n + " images");
        }
        int keep = limit > 0 ? Math.min(limit, n) : n;
        int[] y = new int[keep];
        for (int i = 0; i < n; i++) {
            int label = lab.data()[i] & 0xFF;
            if (label >= CLASSES) {
                throw new DatasetFormatException(labels, "label " + label + " of example " + i + " is outside 0.." + (CLASSES - 1));
            }
            if (i < keep) y[i] = label;
        }
        int pixels = rows * cols;
        float[] x = new float[keep * pixels];
        byte[] raw = img.data();
        for (int i = 0; i < x.length; i++) x[i] = (raw[i] & 0xFF) / 255f;
        return TensorDataset.classification(x, new int[]{1, rows, cols}, y, CLASSES);
    }

    /**
     * Loads the training or test part from a directory holding the standard file names
     * ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-...}), with or without
     * {@code .gz}, and with a dot instead of the last dash as some mirrors spell them.
     */
    public static TensorDataset loadDirectory(Path dir, boolean train, int limit) throws IOException {
        String prefix = train ? "train" : "t10k";
        return load(find(dir, prefix + "-images", "idx3-ubyte"), find(dir, prefix + "-labels", "idx1-ubyte"), limit);
    }

    /** Whether {@code dir} holds the training part under a standard name. */
    public static boolean recognises(Path dir) {
        return candidates(dir, "train-images", "idx3-ubyte").stream().anyMatch(Files::isRegularFile);
    }

    private static Path find(Path dir, String stem, String suffix) throws IOException {
        List<Path> tried = candidates(dir, stem, suffix);
        for (Path p : tried) if (Files.isRegularFile(p)) return p;
        throw new DatasetFormatException(dir, "no MNIST file " + stem + "-" + suffix + " found; looked for "
                + tried.stream().map(p -> p.getFileName().toString()).toList());
    }

    private static List<Path> candidates(Path dir, String stem, String suffix) {
        return List.of(dir.resolve(stem + "-" + suffix), dir.resolve(stem + "-" + suffix + ".gz"),
                dir.resolve(stem + "." + suffix), dir.resolve(stem + "." + suffix + ".gz"));
    }
}
