package kfac4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import kfac4j.autograd.Variable;
import kfac4j.tensor.ConvGeometry;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

class CheckpointTest {
    @TempDir
    Path dir;

    /** conv(1→2, 2×2) → ReLU → flatten → linear(8→3), PyTorch's nn.Sequential numbering. */
    private static Sequential smallCnn(DType dtype, long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Conv2d(1, 2, ConvGeometry.square(2, 1, 0, 1), true, dtype, rng), new ReLU(), new Flatten(),
                new Linear(8, 3, true, dtype, rng));
    }

    /**
     * A safetensors file as {@code safetensors.torch.save_file} lays it out (8-byte little-endian header length, JSON
     * header padded with spaces, little-endian F32 data), built byte by byte.
     */
    private static byte[] pytorchFile(Map<String, int[]> shapes, Map<String, float[]> data) {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String k : shapes.keySet()) {
            float[] v = data.get(k);
            json.append(",\"").append(k).append("\":{\"dtype\":\"F32\",\"shape\":").append(Arrays.toString(shapes.get(k)).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + 4L * v.length).append("]}");
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) b.putFloat(f);
            body.writeBytes(b.array());
            offset += 4L * v.length;
        }
        json.append('}');
        while (json.length() % 8 != 0) json.append(' ');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + body.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(body.toByteArray());
        return out.array();
    }

    @Test
    void weightsInPyTorchsLayoutLoadAndGiveHandComputedOutputs() throws IOException {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> data = new LinkedHashMap<>();
        shapes.put("0.weight", new int[]{2, 1, 2, 2});
        data.put("0.weight", new float[]{1, 0, 0, -1, 0.5f, 0.5f, 0.5f, 0.5f});
        shapes.put("0.bias", new int[]{2});
        data.put("0.bias", new float[]{0, -2});
        shapes.put("3.weight", new int[]{3, 8});
        float[] w3 = new float[24];
        for (int i = 0; i < 24; i++) w3[i] = (i % 5) - 2;
        data.put("3.weight", w3);
        shapes.put("3.bias", new int[]{3});
        data.put("3.bias", new float[]{1, 0, -1});
        Path file = dir.resolve("torch.safetensors");
        Files.write(file, pytorchFile(shapes, data));

        Sequential model = smallCnn(DType.F32, 1);
        Checkpoint.loadWeights(file, model);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Tensor out = model.forward(Variable.constant(Tensor.fromArray(x, 1, 1, 3, 3))).value();

        // By hand: channel 0 = x[i][j] − x[i+1][j+1] = −4 everywhere → ReLU 0; channel 1 = half the 2×2 sum − 2.
        double[] flat = new double[8];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double a = x[i * 3 + j], b = x[i * 3 + j + 1], c = x[(i + 1) * 3 + j], d = x[(i + 1) * 3 + j + 1];
                flat[i * 2 + j] = Math.max(0, a - d);
                flat[4 + i * 2 + j] = Math.max(0, 0.5 * (a + b + c + d) - 2);
            }
        }
        double[] bias = {1, 0, -1};
        for (int o = 0; o < 3; o++) {
            double s = bias[o];
            for (int k = 0; k < 8; k++) s += w3[o * 8 + k] * flat[k];
            assertThat(out.get(0, o)).isCloseTo(s, offset(1e-5));
        }
    }

    @Test
    void weightsRoundTripIntoAnotherModelAndAnotherDtype() throws IOException {
        Sequential a = smallCnn(DType.F32, 2), b = smallCnn(DType.F32, 3), c = smallCnn(DType.F64, 4);
        Path file = dir.resolve("w.safetensors");
        Checkpoint.saveWeights(file, a);
        Checkpoint.loadWeights(file, b);
        Checkpoint.loadWeights(file, c);
        Tensor x = new Rng(5).normal(DType.F32, 0, 1, 2, 1, 3, 3);
        Tensor ya = a.forward(Variable.constant(x)).value();
        assertThat(b.forward(Variable.constant(x)).value().toDoubleArray()).containsExactly(ya.toDoubleArray());
        assertThat(c.forward(Variable.constant(x.to(DType.F64))).value().allClose(ya.to(DType.F64), 1e-6, 1e-6)).isTrue();
        assertThat(c.stateDict().get("0.weight").shape()).containsExactly(2, 1, 2, 2);
    }

    private static void trainStep(Sequential model, Optimizer opt, Tensor x, Tensor y) {
        opt.zeroGrad();
        new CrossEntropyLoss().apply(model.forward(Variable.constant(x)), y).backward();
        opt.step();
    }

    @Test
    void modelAndOptimizerRoundTripResumeTrainingExactly() throws IOException {
        Rng rng = new Rng(6);
        Tensor x = rng.normal(DType.F32, 0, 1, 4, 1, 3, 3), y = Tensor.of(DType.F32, 0, 2, 1, 2);
        Sequential a = smallCnn(DType.F32, 7), b = smallCnn(DType.F32, 8);
        Adam optA = new Adam(a.parameters(), 1e-2), optB = new Adam(b.parameters(), 1e-2);
        trainStep(a, optA, x, y);
        trainStep(a, optA, x, y);
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, a, optA);
        Checkpoint.load(file, b, optB);
        assertThat(optB.stepCount()).isEqualTo(2);
        trainStep(a, optA, x, y);
        trainStep(b, optB, x, y);
        for (String k : a.stateDict().keySet()) {
            assertThat(b.stateDict().get(k).toDoubleArray()).as(k).containsExactly(a.stateDict().get(k).toDoubleArray());
        }
        assertThatThrownBy(() -> Checkpoint.load(file, b, new SGD(b.parameters(), 0.1)))
                .hasMessageContaining("holds Adam state, not SGD");
    }

    @Test
    void aTruncatedCheckpointIsRejectedAndChangesNothing() throws IOException {
        Sequential a = smallCnn(DType.F32, 9), b = smallCnn(DType.F32, 10);
        Path file = dir.resolve("t.safetensors");
        Checkpoint.saveWeights(file, a);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 5));
        Map<String, Tensor> before = snapshot(b);
        assertThatThrownBy(() -> Checkpoint.loadWeights(file, b)).isInstanceOf(IOException.class).hasMessageContaining(file.toString());
        assertUnchanged(b, before);
        Files.write(file, Arrays.copyOf(bytes, 6));
        assertThatThrownBy(() -> Checkpoint.loadWeights(file, b)).isInstanceOf(IOException.class).hasMessageContaining("6 bytes");
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointIntact() throws IOException {
        Sequential a = smallCnn(DType.F32, 11), b = smallCnn(DType.F32, 12), c = smallCnn(DType.F32, 13);
        Path file = dir.resolve("keep.safetensors");
        Checkpoint.saveWeights(file, a);
        // An interrupted thread's file channel fails at its first write: the new checkpoint breaks off mid-way.
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Checkpoint.saveWeights(file, b)).isInstanceOf(IOException.class);
        } finally {
            Thread.interrupted();
        }
        Checkpoint.loadWeights(file, c);
        assertUnchanged(c, snapshot(a));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).as("no temporary file left").containsExactly("keep.safetensors");
        }
    }

    @Test
    void mismatchedCheckpointsNameTheKeysAndChangeNothing() throws IOException {
        Path file = dir.resolve("other.safetensors");
        Sequential other = new Sequential(new Conv2d(1, 2, ConvGeometry.square(2, 1, 0, 1), true, DType.F32, new Rng(14)), new ReLU(),
                new Flatten(), new Linear(8, 4, true, DType.F32, new Rng(15)), new Linear(4, 4, new Rng(16)));
        Checkpoint.saveWeights(file, other);
        Sequential model = smallCnn(DType.F32, 17);
        Map<String, Tensor> before = snapshot(model);
        assertThatThrownBy(() -> Checkpoint.loadWeights(file, model))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("unexpected keys [4.bias, 4.weight]")
                .hasMessageContaining("3.weight (expected [3, 8], got [4, 8])")
                .hasMessageContaining("3.bias (expected [3], got [4])");
        assertUnchanged(model, before);

        Adam opt = new Adam(model.parameters(), 0.1);
        Path both = dir.resolve("both.safetensors");
        Checkpoint.save(both, other, new Adam(other.parameters(), 0.1));
        assertThatThrownBy(() -> Checkpoint.load(both, model, opt)).hasMessageContaining("model loadStateDict");
        assertUnchanged(model, before);
        assertThat(opt.stepCount()).isZero();
        assertThat(List.copyOf(opt.stateDict().keySet())).containsExactly("step");
    }

    private static Map<String, Tensor> snapshot(Module m) {
        Map<String, Tensor> s = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) s.put(e.getKey(), e.getValue().copy());
        return s;
    }

    private static void assertUnchanged(Module m, Map<String, Tensor> before) {
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            assertThat(e.getValue().toDoubleArray()).as(e.getKey()).containsExactly(before.get(e.getKey()).toDoubleArray());
        }
    }
}
