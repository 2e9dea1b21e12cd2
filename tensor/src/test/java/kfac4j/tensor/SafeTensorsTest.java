package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ---------------------------------------------------------------- the reference layout

    /**
     * The bytes {@code safetensors.torch.save_file({"weight": torch.tensor([[1., 2.], [-3.5, .25]]),
     * "bias": torch.tensor([.5], dtype=torch.float64)}, f, metadata={"format": "pt"})} writes, spelled out: F64
     * before F32 (larger elements first), {@code __metadata__} first, compact JSON padded with spaces to 152 bytes.
     */
    private static byte[] referenceFile() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}"
                + "   ";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x98, 0, 0, 0, 0, 0, 0, 0}); // 152, little-endian
        out.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[]{0, 0, 0, 0, 0, 0, (byte) 0xe0, 0x3f}); // 0.5 as a little-endian double
        out.writeBytes(new byte[]{0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40}); // 1.0f, 2.0f
        out.writeBytes(new byte[]{0, 0, 0x60, (byte) 0xc0, 0, 0, (byte) 0x80, 0x3e}); // -3.5f, 0.25f
        return out.toByteArray();
    }

    @Test
    void fileLaidOutAsPyTorchWritesItLoads() throws IOException {
        Path f = dir.resolve("torch.safetensors");
        Files.write(f, referenceFile());
        SafeTensors st = SafeTensors.read(f);
        assertThat(st.metadata()).containsExactly(Map.entry("format", "pt"));
        assertThat(st.tensors().keySet()).containsExactly("bias", "weight");
        Tensor w = st.tensors().get("weight"), b = st.tensors().get("bias");
        assertThat(w.dtype()).isEqualTo(DType.F32);
        assertThat(w.shape()).containsExactly(2, 2);
        assertThat(w.toDoubleArray()).containsExactly(1, 2, -3.5, 0.25);
        assertThat(b.dtype()).isEqualTo(DType.F64);
        assertThat(b.shape()).containsExactly(1);
        assertThat(b.toDoubleArray()).containsExactly(0.5);
    }

    @Test
    void writtenFileIsByteForByteWhatTheReferenceWrites() throws IOException {
        Path f = dir.resolve("ours.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("weight", Tensor.of(new double[][]{{1, 2}, {-3.5, 0.25}}).to(DType.F32));
        tensors.put("bias", Tensor.of(0.5));
        SafeTensors.write(f, tensors, Map.of("format", "pt"));
        assertThat(Files.readAllBytes(f)).isEqualTo(referenceFile());
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata() throws IOException {
        Rng rng = new Rng(3);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layers.0.weight", rng.normal(DType.F32, 0, 1, 5, 7));
        tensors.put("layers.0.bias", rng.normal(DType.F64, 0, 1, 7));
        tensors.put("empty", Tensor.zeros(DType.F32, 0));
        tensors.put("empty2d", Tensor.zeros(DType.F64, 2, 0, 3));
        tensors.put("scalar", Tensor.scalar(DType.F64, -2.25));
        tensors.put("special", Tensor.of(Double.NaN, Double.NEGATIVE_INFINITY, -0.0, Double.MIN_VALUE));
        tensors.put("transposed view", rng.normal(DType.F64, 0, 1, 3, 4).mT());
        tensors.put("ünïcødé \"quoted\"\n\\", Tensor.of(DType.F32, 1, 2, 3));
        Map<String, String> metadata = Map.of("format", "pt", "note", "line\nbreak \"quoted\" ✓");
        Path f = dir.resolve("round.safetensors");
        SafeTensors.write(f, tensors, metadata);
        SafeTensors back = SafeTensors.read(f);
        assertThat(back.metadata()).isEqualTo(metadata);
        assertThat(back.tensors().keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor got = back.tensors().get(e.getKey()), want = e.getValue();
            assertThat(got.dtype()).as(e.getKey()).isEqualTo(want.dtype());
            assertThat(got.shape()).as(e.getKey()).isEqualTo(want.shape());
            assertThat(bits(got)).as(e.getKey()).isEqualTo(bits(want));
        }
    }

    @Test
    void tensorsAreWrittenLargestElementsFirstThenByNameAndReadInFileOrder() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.zeros(DType.F32, 1));
        tensors.put("a", Tensor.zeros(DType.F32, 1));
        tensors.put("z", Tensor.zeros(DType.F64, 1));
        tensors.put("B", Tensor.zeros(DType.F32, 1));
        Path f = dir.resolve("order.safetensors");
        new SafeTensors(tensors, Map.of()).write(f);
        assertThat(SafeTensors.read(f).tensors().keySet()).containsExactly("z", "B", "a", "b");
        String header = new String(Files.readAllBytes(f), 8, 200, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"z\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"B\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},");
        assertThat(SafeTensors.read(f).metadata()).isEmpty();
    }

    @Test
    void headerIsPaddedWithSpacesToAMultipleOfEight() throws IOException {
        for (int len = 1; len <= 9; len++) {
            Path f = dir.resolve("pad" + len + ".safetensors");
            SafeTensors.write(f, Map.of("x".repeat(len), Tensor.zeros(DType.F32, 1)));
            byte[] bytes = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat(n % 8).isZero();
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(header.length() - header.stripTrailing().length()).isLessThan(8);
            assertThat(SafeTensors.read(f).tensors()).containsOnlyKeys("x".repeat(len));
        }
    }

    @Test
    void halfPrecisionFormatsAreWidenedToF32() throws IOException {
        short[] f16 = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, (short) 0x8000};
        short[] bf16 = {0x3f80, (short) 0xc0a0, 0x4049, 0x7f80, 0x0001};
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[14,24]}}";
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : f16) data.putShort(s);
        for (short s : bf16) data.putShort(s);
        Path f = write("half.safetensors", header, data.array());
        SafeTensors st = SafeTensors.read(f);
        Tensor h = st.tensors().get("h"), b = st.tensors().get("b");
        assertThat(h.dtype()).isEqualTo(DType.F32);
        assertThat(h.toFloatArray()).containsExactly(1f, -2f, 65504f, 0x1p-24f, 0.33325195f, Float.POSITIVE_INFINITY,
                -0f);
        assertThat(b.dtype()).isEqualTo(DType.F32);
        assertThat(b.toFloatArray()).containsExactly(1f, -5f, 3.140625f, Float.POSITIVE_INFINITY, 0x1p-133f);
    }

    // ---------------------------------------------------------------- corrupt files

    @Test
    void fileShorterThanTheLengthFieldIsRejected() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[]{1, 2, 3});
        assertRejected(f, "file is 3 bytes long, shorter than the 8-byte header length");
    }

    @Test
    void headerLengthBeyondTheFileIsRejected() throws IOException {
        Path f = dir.resolve("long.safetensors");
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        Files.write(f, b.array());
        assertRejected(f, "header length 1000 is larger than the 12 bytes after the length field");
        b.putLong(0, -1L);
        Files.write(f, b.array());
        assertRejected(f, "header length 18446744073709551615 is larger than the 12 bytes after the length field");
    }

    @Test
    void invalidJsonIsRejected() throws IOException {
        assertRejected(write("json1.safetensors", "{\"a\":{\"dtype\":\"F32\",", new byte[0]),
                "header is not valid JSON: unexpected end of input, expected a string key at character 24");
        assertRejected(write("json2.safetensors", "{\"a\" 1}", new byte[0]),
                "header is not valid JSON: unexpected '1', expected ':' at character 5");
        assertRejected(write("json3.safetensors", "{\"a\":{},\"a\":{}}", new byte[0]),
                "header is not valid JSON: duplicate key \"a\" at character 8");
        assertRejected(write("json4.safetensors", "[1, 2]", new byte[0]), "header is not a JSON object");
        assertRejected(write("json5.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                new byte[4]), "header is not valid JSON: only integers are expected here, found a fractional or"
                + " exponent number at character 29");
        assertRejected(write("json6.safetensors", "{\"a\":\"\\q\"}", new byte[0]),
                "header is not valid JSON: invalid escape \\q at character 6");
        // The 65th '[' (at character 69) is one level too deep.
        assertRejected(write("json7.safetensors", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}", new byte[0]),
                "header is not valid JSON: nesting deeper than 64 levels at character 69");
    }

    @Test
    void headerThatIsNotUtf8IsRejected() throws IOException {
        Path f = dir.resolve("utf.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8);
        b.put(new byte[]{'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '});
        Files.write(f, b.array());
        assertRejected(f, "header is not valid UTF-8");
    }

    @Test
    void unknownOrUnsupportedDtypeIsRejected() throws IOException {
        assertRejected(write("i64.safetensors", "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                new byte[8]), "tensor \"a\" has dtype \"I64\", which is unknown or not supported (readable: F32, F64,"
                + " F16, BF16)");
        assertRejected(write("q.safetensors", "{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                new byte[8]), "tensor \"a\" has dtype \"Q7\", which is unknown or not supported (readable: F32, F64,"
                + " F16, BF16)");
    }

    @Test
    void malformedTensorEntriesAreRejected() throws IOException {
        assertRejected(write("m1.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                new byte[4]), "tensor \"a\" has an invalid shape [-1] (sizes must be integers in [0, 2³¹))");
        assertRejected(write("m2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}",
                new byte[4]), "tensor \"a\" has invalid data_offsets [4] (expected [begin, end] with 0 ≤ begin ≤ end)");
        assertRejected(write("m3.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
                new byte[4]), "tensor \"a\" has invalid data_offsets [4, 0] (expected [begin, end] with 0 ≤ begin ≤ end)");
        assertRejected(write("m4.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]),
                "tensor \"a\" has invalid data_offsets null (expected [begin, end] with 0 ≤ begin ≤ end)");
        assertRejected(write("m5.safetensors", "{\"a\":[1]}", new byte[0]),
                "tensor \"a\" is not described by a JSON object");
        assertRejected(write("m6.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", new byte[4]),
                "tensor \"a\" has an unexpected field \"extra\"");
        assertRejected(write("m7.safetensors", "{\"__metadata__\":{\"k\":1}}", new byte[0]),
                "__metadata__ entry \"k\" is not a string");
        assertRejected(write("m8.safetensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor \"a\" of shape [65536, 65536] has more elements than a Java array can hold");
    }

    @Test
    void offsetsThatDoNotMatchShapeAndDtypeAreRejected() throws IOException {
        assertRejected(write("size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                new byte[8]), "tensor \"a\" has data_offsets [0, 8] spanning 8 bytes, but shape [3] of F32 needs 12"
                + " bytes");
    }

    @Test
    void offsetsBeyondTheDataAreRejected() throws IOException {
        assertRejected(write("range.safetensors", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                new byte[8]), "tensor \"a\" has data_offsets [0, 16] but only 8 bytes of data follow the header"
                + " (truncated file or offsets out of range)");
    }

    @Test
    void overlappingTensorsAreRejected() throws IOException {
        assertRejected(write("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "data of tensors \"a\" [0, 8] and \"b\" [4, 12] overlap");
    }

    @Test
    void dataNotCoveredByTensorsIsRejected() throws IOException {
        assertRejected(write("gap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                new byte[8]), "bytes [0, 4) of the data before tensor \"a\" belong to no tensor");
        assertRejected(write("tail.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[8]), "bytes [4, 8) of the data, after the last tensor, belong to no tensor");
    }

    @Test
    void truncatedFileIsRejected() throws IOException {
        Path f = dir.resolve("whole.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.zeros(DType.F32, 4), "b", Tensor.zeros(DType.F32, 4)));
        byte[] bytes = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertRejected(cut, "tensor \"b\" has data_offsets [16, 32] but only 29 bytes of data follow the header"
                + " (truncated file or offsets out of range)");
    }

    @Test
    void everyTruncationAndRandomCorruptionLoadsOrFailsWithAFormatError() throws IOException {
        Path f = dir.resolve("fuzz.safetensors");
        SafeTensors.write(f, Map.of("w", new Rng(1).normal(DType.F32, 0, 1, 3, 2), "v", Tensor.of(1, 2)),
                Map.of("k", "v"));
        byte[] good = Files.readAllBytes(f);
        Path g = dir.resolve("mutant.safetensors");
        for (int len = 0; len < good.length; len++) {
            Files.write(g, java.util.Arrays.copyOf(good, len));
            assertThatThrownBy(() -> SafeTensors.read(g)).as("truncated to %d bytes", len)
                    .isInstanceOf(SafeTensorsFormatException.class);
        }
        Random random = new Random(5);
        for (int trial = 0; trial < 500; trial++) {
            byte[] mutant = good.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) mutant[random.nextInt(mutant.length)] = (byte) random.nextInt(256);
            Files.write(g, mutant);
            try {
                SafeTensors.read(g);
            } catch (SafeTensorsFormatException expected) {
                assertThat(expected.getMessage()).startsWith(g.toString() + ": ");
            }
        }
    }

    // ---------------------------------------------------------------- atomic writes

    @Test
    void writeThatFailsMidwayLeavesThePreviousFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, Map.of("w", Tensor.of(1, 2, 3)));
        byte[] before = Files.readAllBytes(f);
        assertThatThrownBy(() -> AtomicFile.write(f, out -> {
            out.write(ByteBuffer.wrap(new byte[1000]));
            throw new IOException("disk full");
        })).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        assertThat(listDir()).containsExactly("model.safetensors");
        assertThat(SafeTensors.read(f).tensors().get("w").toDoubleArray()).containsExactly(1, 2, 3);
    }

    @Test
    void writeThatFailsAtTheRenameLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("occupied"));
        Files.writeString(target.resolve("keep.txt"), "keep");
        assertThatThrownBy(() -> SafeTensors.write(target, Map.of("w", Tensor.of(1))))
                .isInstanceOf(IOException.class);
        assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("keep");
        assertThat(listDir()).containsExactly("occupied");
    }

    @Test
    void rejectedInputLeavesThePreviousFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, Map.of("w", Tensor.of(1, 2, 3)));
        byte[] before = Files.readAllBytes(f);
        assertThatThrownBy(() -> SafeTensors.write(f, Map.of("__metadata__", Tensor.of(1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SafeTensors.write " + f + ": the name __metadata__ is reserved for the metadata");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        assertThat(listDir()).containsExactly("model.safetensors");
    }

    @Test
    void overwriteReplacesTheWholeFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, Map.of("big", Tensor.zeros(DType.F64, 1000)));
        SafeTensors.write(f, Map.of("small", Tensor.of(7)));
        SafeTensors back = SafeTensors.read(f);
        assertThat(back.tensors()).containsOnlyKeys("small");
        assertThat(listDir()).containsExactly("model.safetensors");
    }

    // ---------------------------------------------------------------- helpers

    /** A file with the given header (padded to a multiple of 8) and data. */
    private Path write(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        b.put(data);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    private static void assertRejected(Path f, String problem) {
        assertThatThrownBy(() -> SafeTensors.read(f))
                .isInstanceOf(SafeTensorsFormatException.class)
                .hasMessage(f + ": " + problem);
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long[] bits(Tensor t) {
        double[] v = t.toDoubleArray();
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Double.doubleToRawLongBits(v[i]);
        return out;
    }
}
