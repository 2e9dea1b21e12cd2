package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    @TempDir
    Path dir;

    /** Three 2×3 images with pixel (i, k) = 40·i + k, labels 7, 0, 9. */
    private static byte[] pixels() {
        byte[] p = new byte[3 * 6];
        for (int i = 0; i < 3; i++) for (int k = 0; k < 6; k++) p[i * 6 + k] = (byte) (40 * i + k + 100);
        return p;
    }

    private static final byte[] LABELS = {7, 0, 9};

    private void writeMnist(String prefix, boolean gzip) throws IOException {
        String gz = gzip ? ".gz" : "";
        IdxFile.write(dir.resolve(prefix + "-images-idx3-ubyte" + gz), new int[]{3, 2, 3}, pixels(), gzip);
        IdxFile.write(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), new int[]{3}, LABELS, gzip);
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(raw);
        }
        return b.toByteArray();
    }

    private static byte[] idxHeader(int type, int... dims) {
        byte[] h = new byte[4 + 4 * dims.length];
        h[2] = (byte) type;
        h[3] = (byte) dims.length;
        for (int k = 0; k < dims.length; k++) {
            for (int b = 0; b < 4; b++) h[4 + 4 * k + b] = (byte) (dims[k] >>> (24 - 8 * b));
        }
        return h;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private void checkMnistContent(TensorDataset d) {
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.inputShape()).containsExactly(1, 2, 3);
        assertThat(d.numClasses()).isEqualTo(10);
        assertThat(d.target(0)).containsExactly(7);
        assertThat(d.target(2)).containsExactly(9);
        float[] x = d.input(1);
        assertThat(x[0]).isEqualTo(140 / 255f);
        assertThat(x[5]).isEqualTo(145 / 255f);
    }

    @Test
    void mnistRoundTripsPlainAndGzip() throws IOException {
        writeMnist("train", false);
        checkMnistContent(Mnist.loadDirectory(dir, true, 0));
        Files.delete(dir.resolve("train-images-idx3-ubyte"));
        Files.delete(dir.resolve("train-labels-idx1-ubyte"));
        writeMnist("train", true);
        checkMnistContent(Mnist.loadDirectory(dir, true, 0));
        assertThat(Files.readAllBytes(dir.resolve("train-images-idx3-ubyte.gz"))[0]).isEqualTo((byte) 0x1f);
        assertThat(Mnist.loadDirectory(dir, true, 2).size()).isEqualTo(2);
    }

    @Test
    void gzipIsDetectedByMagicNotByName() throws IOException {
        Path images = dir.resolve("imgs.idx"), labels = dir.resolve("labs.idx");
        Files.write(images, gzip(concat(idxHeader(0x08, 3, 2, 3), pixels())));
        Files.write(labels, concat(idxHeader(0x08, 3), LABELS));
        checkMnistContent(Mnist.load(images, labels, 0));
    }

    @Test
    void idxErrorsNameTheFileAndTheProblem() throws IOException {
        Path f = dir.resolve("bad.idx");
        Files.write(f, concat(new byte[]{1, 2, 8, 1}, new byte[8]));
        assertThatThrownBy(() -> IdxFile.read(f)).isInstanceOf(DatasetFormatException.class)
                .hasMessage(f + ": bad magic 01 02 08 01: an IDX file starts with 00 00, the type and the rank");
        Files.write(f, concat(idxHeader(0x0D, 2), new byte[8]));
        assertThatThrownBy(() -> IdxFile.read(f))
                .hasMessage(f + ": IDX data type 0x0d is not supported; MNIST-style files hold unsigned bytes (0x08)");
        Files.write(f, new byte[]{0, 0});
        assertThatThrownBy(() -> IdxFile.read(f)).hasMessage(f + ": truncated header: an IDX file starts with 4 magic bytes");
        Files.write(f, Arrays.copyOf(idxHeader(0x08, 3, 2, 3), 9));
        assertThatThrownBy(() -> IdxFile.read(f)).hasMessage(f + ": truncated header: it declares 3 dimensions but ends after 1");
        Files.write(f, concat(idxHeader(0x08, 3, 2, 3), Arrays.copyOf(pixels(), 17)));
        assertThatThrownBy(() -> IdxFile.read(f))
                .hasMessage(f + ": truncated data: dimensions [3, 2, 3] need 18 bytes after the header, found 17");
        Files.write(f, concat(idxHeader(0x08, 3, 2, 3), Arrays.copyOf(pixels(), 20)));
        assertThatThrownBy(() -> IdxFile.read(f))
                .hasMessage(f + ": 2 unexpected bytes after the 18 bytes that dimensions [3, 2, 3] declare");
        byte[] compressed = gzip(concat(idxHeader(0x08, 3, 2, 3), pixels()));
        Files.write(f, Arrays.copyOf(compressed, compressed.length - 12));
        assertThatThrownBy(() -> IdxFile.read(f)).isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(f + ": corrupt or truncated gzip data");
    }

    @Test
    void mnistPairErrorsNameTheFile() throws IOException {
        Path images = dir.resolve("i.idx"), labels = dir.resolve("l.idx");
        IdxFile.write(images, new int[]{3, 2, 3}, pixels(), false);
        IdxFile.write(labels, new int[]{2}, new byte[]{1, 2}, false);
        assertThatThrownBy(() -> Mnist.load(images, labels, 0))
                .hasMessage(labels + ": has 2 labels but " + images + " has 3 images");
        IdxFile.write(labels, new int[]{3}, new byte[]{1, 10, 2}, false);
        assertThatThrownBy(() -> Mnist.load(images, labels, 0)).hasMessage(labels + ": label 10 of example 1 is outside 0..9");
        IdxFile.write(labels, new int[]{3, 1}, new byte[]{1, 1, 2}, false);
        assertThatThrownBy(() -> Mnist.load(images, labels, 0))
                .hasMessage(labels + ": expected labels of rank 1 (count), found dimensions [3, 1]");
        assertThatThrownBy(() -> Mnist.load(labels, labels, 0))
                .hasMessage(labels + ": expected images of rank 3 (count, rows, cols), found dimensions [3, 1]");
        assertThatThrownBy(() -> Mnist.loadDirectory(dir, false, 0)).isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("no MNIST file t10k-images-idx3-ubyte found; looked for [t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz");
    }

    /** n CIFAR records: label i mod 10, pixel p of record i = (i + p) mod 256. */
    private static byte[] cifarRecords(int n) {
        byte[] b = new byte[n * Cifar10.RECORD];
        for (int i = 0; i < n; i++) {
            b[i * Cifar10.RECORD] = (byte) (i % 10);
            for (int p = 0; p < Cifar10.PIXELS; p++) b[i * Cifar10.RECORD + 1 + p] = (byte) (i + p);
        }
        return b;
    }

    @Test
    void cifarRoundTripsAcrossBatchFiles() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
        Files.write(sub.resolve("data_batch_1.bin"), cifarRecords(2));
        Files.write(sub.resolve("data_batch_2.bin"), Arrays.copyOfRange(cifarRecords(3), 2 * Cifar10.RECORD, 3 * Cifar10.RECORD));
        Files.write(sub.resolve("test_batch.bin"), cifarRecords(1));
        TensorDataset train = Cifar10.loadDirectory(dir, true, 0);
        assertThat(train.size()).isEqualTo(3);
        assertThat(train.inputShape()).containsExactly(3, 32, 32);
        assertThat(train.target(2)).containsExactly(2);
        float[] x = train.input(2);
        assertThat(x[0]).isEqualTo(2 / 255f);
        assertThat(x[1024]).isEqualTo(((2 + 1024) & 0xFF) / 255f); // the green plane starts at 1024
        assertThat(x[3071]).isEqualTo(((2 + 3071) & 0xFF) / 255f);
        assertThat(Cifar10.loadDirectory(dir, false, 0).size()).isEqualTo(1);
        assertThat(ImageFiles.open(dir, true, 2).size()).isEqualTo(2);
        assertThat(ImageFiles.open(sub.resolve("test_batch.bin"), true, 0).size()).isEqualTo(1);
    }

    @Test
    void cifarErrorsNameTheFileAndTheProblem() throws IOException {
        Path f = dir.resolve("data_batch_1.bin");
        Files.write(f, Arrays.copyOf(cifarRecords(2), 2 * Cifar10.RECORD - 1));
        assertThatThrownBy(() -> Cifar10.load(List.of(f), 0)).isInstanceOf(DatasetFormatException.class)
                .hasMessage(f + ": truncated or not CIFAR-10: 6145 bytes is not a whole number of 3073-byte records"
                        + " (1 label byte + 3×32×32 pixel bytes)");
        byte[] bad = cifarRecords(2);
        bad[Cifar10.RECORD] = 10;
        Files.write(f, bad);
        assertThatThrownBy(() -> Cifar10.load(List.of(f), 0)).hasMessage(f + ": record 1 has label 10; CIFAR-10 labels are 0..9");
        Files.write(f, new byte[0]);
        assertThatThrownBy(() -> Cifar10.load(List.of(f), 0)).hasMessage(f + ": is empty; expected 3073-byte CIFAR-10 records");
        Files.delete(f);
        assertThatThrownBy(() -> Cifar10.loadDirectory(dir, true, 0)).isInstanceOf(DatasetFormatException.class)
                .hasMessage(dir + ": no CIFAR-10 data_batch_1..5.bin found here or in cifar-10-batches-bin/");
    }

    @Test
    void openRecognisesMnistAndRejectsUnknownPaths() throws IOException {
        writeMnist("t10k", true);
        writeMnist("train", true);
        assertThat(ImageFiles.open(dir, false, 0).size()).isEqualTo(3);
        Path other = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> ImageFiles.open(other, true, 0)).isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(other + ": holds neither MNIST IDX files");
        Path txt = Files.writeString(dir.resolve("notes.txt"), "hello");
        assertThatThrownBy(() -> ImageFiles.open(txt, true, 0)).hasMessageStartingWith(txt + ": not a recognised image file");
        assertThatThrownBy(() -> ImageFiles.open(dir.resolve("missing"), true, 0)).hasMessage(dir.resolve("missing") + ": does not exist");
    }
}
