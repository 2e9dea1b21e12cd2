package kfac4j.examples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens an image-classification set from a path a user passes as {@code --data}: a directory of MNIST/Fashion-MNIST
 * IDX files, a directory of CIFAR-10 binary batches, or one CIFAR-10 {@code .bin} file.
 */
public final class ImageFiles {
    private ImageFiles() {
    }

    /**
     * @param train which part of a directory to load: the training files or the test files
     * @param limit the most examples to keep; non-positive keeps all
     */
    public static TensorDataset open(Path path, boolean train, int limit) throws IOException {
        if (Files.isRegularFile(path)) {
            if (path.getFileName().toString().endsWith(".bin")) return Cifar10.load(List.of(path), limit);
            throw new DatasetFormatException(path, "not a recognised image file: pass a CIFAR-10 .bin file or a directory"
                    + " of MNIST IDX files or CIFAR-10 batches");
        }
        if (!Files.isDirectory(path)) throw new DatasetFormatException(path, "does not exist");
        if (Mnist.recognises(path)) return Mnist.loadDirectory(path, train, limit);
        if (Cifar10.recognises(path)) return Cifar10.loadDirectory(path, train, limit);
        throw new DatasetFormatException(path, "holds neither MNIST IDX files (train-images-idx3-ubyte[.gz], ...) nor CIFAR-10"
                + " batches (data_batch_1.bin, ..., test_batch.bin)");
    }
}
