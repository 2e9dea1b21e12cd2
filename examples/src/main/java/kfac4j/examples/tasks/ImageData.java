package kfac4j.examples.tasks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import kfac4j.examples.data.ImageFiles;
import kfac4j.examples.data.Split;
import kfac4j.examples.data.SyntheticShapes;
import kfac4j.examples.data.TensorDataset;

/**
 * The images of the image tasks ({@code cnn}, {@code vit}, {@code mlp}): the built-in synthetic shapes, or a user's
 * MNIST / Fashion-MNIST IDX directory, CIFAR-10 batch directory or single CIFAR-10 {@code .bin} file. A directory's
 * training part trains and its test part validates; a single file is split 90/10 by the seed.
 *
 * @param train       the training images (C, S, S)
 * @param validation  the validation images
 * @param description where they came from, with counts and shape
 */
record ImageData(TensorDataset train, TensorDataset validation, String description) {
    /** The most training and validation images read from a user's files at laptop scale (memory and load time). */
    static final int FILE_TRAIN_LIMIT = 20_000, FILE_VALIDATION_LIMIT = 2_000;

    int channels() {
        return train.inputShape()[0];
    }

    int size() {
        return train.inputShape()[1];
    }

    int classes() {
        return train.numClasses();
    }

    /** Synthetic shapes of {@code channels × size × size}, unless {@code options.data()} names files. */
    static ImageData open(TaskOptions options, int channels, int size, int trainCount, int validationCount) throws IOException {
        Path data = options.data();
        if (data == null) {
            TensorDataset train = SyntheticShapes.generate(new SyntheticShapes.Config(trainCount, channels, size, options.seed()));
            TensorDataset validation = SyntheticShapes.generate(
                    new SyntheticShapes.Config(validationCount, channels, size, options.seed() + 1));
            return new ImageData(train, validation, "synthetic shapes " + shape(train) + ", " + trainCount + " training / "
                    + validationCount + " validation images");
        }
        int trainLimit = options.tiny() ? trainCount : FILE_TRAIN_LIMIT;
        int validationLimit = options.tiny() ? validationCount : FILE_VALIDATION_LIMIT;
        TensorDataset train, validation;
        if (Files.isRegularFile(data)) {
            Split<TensorDataset> s = ImageFiles.open(data, true, trainLimit + validationLimit).split(0.1, options.seed());
            train = s.train();
            validation = s.validation();
        } else {
            train = ImageFiles.open(data, true, trainLimit);
            validation = ImageFiles.open(data, false, validationLimit);
        }
        if (train.inputShape().length != 3 || train.inputShape()[1] != train.inputShape()[2]) {
            throw new IllegalArgumentException("image tasks need square images (C, S, S); " + data + " holds "
                    + java.util.Arrays.toString(train.inputShape()));
        }
        return new ImageData(train, validation, data + " " + shape(train) + ", " + train.size() + " training / "
                + validation.size() + " validation images");
    }

    private static String shape(TensorDataset d) {
        int[] s = d.inputShape();
        return s[0] + "×" + s[1] + "×" + s[2];
    }
}
