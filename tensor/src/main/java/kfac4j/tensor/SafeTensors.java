package kfac4j.tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Named tensors plus string metadata, as held in a safetensors file: the format of Hugging Face's safetensors
 * library, which PyTorch models are commonly saved in ({@code safetensors.torch.save_file}).
 *
 * <p>The file: 8 bytes N (little-endian unsigned 64-bit), then N bytes of UTF-8 JSON,
 * {@code {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}}
 * padded with spaces to a multiple of 8 bytes, then the data: each tensor row-major and little-endian at bytes
 * [BEGIN, END) of what follows the header, the tensors covering it without gaps or overlaps.
 *
 * <p>{@link #write} produces the bytes the reference implementation produces for the same tensors: tensors ordered by
 * element size, largest first, then by name (byte-wise UTF-8), {@code __metadata__} (keys sorted) first, compact
 * JSON. It writes atomically (see {@link AtomicFile}). {@link #read} accepts F32 and F64, and F16 and BF16 widened to
 * F32; it checks the whole header before reading data, and a malformed file gives a
 * {@link SafeTensorsFormatException} that names the file and the problem.
 *
 * @param tensors  the tensors by name, in file order when read
 * @param metadata the free-form string metadata ({@code __metadata__}), empty when absent
 */
public record SafeTensors(Map<String, Tensor> tensors, Map<String, String> metadata) {
    /** The largest header accepted, as the reference implementation (which refuses larger ones). */
    static final long MAX_HEADER_BYTES = 100_000_000;
    private static final String METADATA_KEY = "__metadata__";
    /** Data moves between file and arrays in chunks of this many bytes (a multiple of every element size). */
    private static final int CHUNK_BYTES = 1 << 20;

    public SafeTensors {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Writes these tensors and metadata to {@code file} (see {@link #write(Path, Map, Map)}). */
    public void write(Path file) throws IOException {
        write(file, tensors, metadata);
    }

    /** Writes tensors without metadata to {@code file}, replacing it atomically. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors and string metadata to {@code file}: a temporary file in the same directory, forced to disk,
     * then renamed over {@code file}, so a failure at any point leaves a previous file intact. Strided views are
     * written in their logical row-major order. An empty metadata map writes no {@code __metadata__} entry.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("SafeTensors.write " + file + ": null tensor name or tensor for "
                        + e.getKey());
            }
            if (e.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("SafeTensors.write " + file + ": the name " + METADATA_KEY
                        + " is reserved for the metadata");
            }
            entries.add(Map.entry(e.getKey(), e.getValue()));
        }
        Map<String, String> sortedMetadata = new TreeMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("SafeTensors.write " + file + ": null metadata key or value for "
                        + e.getKey());
            }
            sortedMetadata.put(e.getKey(), e.getValue());
        }
        // The reference implementation's order: larger elements first (keeps them aligned), then by name.
        Comparator<Map.Entry<String, Tensor>> bySize = Comparator.comparingInt(e -> -e.getValue().dtype().byteSize());
        entries.sort(bySize.thenComparing((x, y) -> Arrays.compareUnsigned(utf8(x.getKey()), utf8(y.getKey()))));
        byte[] header = header(entries, sortedMetadata);
        AtomicFile.write(file, out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(out, length);
            writeFully(out, ByteBuffer.wrap(header));
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Tensor> e : entries) writeData(out, e.getValue(), chunk);
        });
    }

    private static byte[] header(List<Map.Entry<String, Tensor>> entries, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append(Json.quote(METADATA_KEY)).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!first) json.append(',');
                first = false;
                json.append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : entries) {
            Tensor t = e.getValue();
            long bytes = (long) t.numel() * t.dtype().byteSize();
            if (json.length() > 1) json.append(',');
            json.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) json.append(i > 0 ? "," : "").append(shape[i]);
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        json.append('}');
        byte[] raw = utf8(json.toString());
        // Spaces up to a multiple of 8 bytes keep the data 8-byte aligned for readers that map the file.
        byte[] padded = Arrays.copyOf(raw, (raw.length + 7) / 8 * 8);
        Arrays.fill(padded, raw.length, padded.length, (byte) ' ');
        return padded;
    }

    private static void writeData(WritableByteChannel out, Tensor t, ByteBuffer chunk) throws IOException {
        Tensor c = t.contiguous();
        int n = c.numel(), off = c.offset();
        if (c.dtype() == DType.F32) {
            float[] a = c.f32();
            for (int i = 0; i < n; ) {
                int k = Math.min(n - i, CHUNK_BYTES / 4);
                chunk.clear();
                chunk.asFloatBuffer().put(a, off + i, k);
                chunk.limit(k * 4);
                writeFully(out, chunk);
                i += k;
            }
        } else {
            double[] a = c.f64();
            for (int i = 0; i < n; ) {
                int k = Math.min(n - i, CHUNK_BYTES / 8);
                chunk.clear();
                chunk.asDoubleBuffer().put(a, off + i, k);
                chunk.limit(k * 8);
                writeFully(out, chunk);
                i += k;
            }
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    // ---------------------------------------------------------------- reading

    /** The element types a file may hold that this reader turns into tensors. */
    private enum StoredType {
        F64(8, DType.F64), F32(4, DType.F32), F16(2, DType.F32), BF16(2, DType.F32);

        final int bytes;
        final DType dtype;

        StoredType(int bytes, DType dtype) {
            this.bytes = bytes;
            this.dtype = dtype;
        }

        static StoredType named(String name) {
            for (StoredType t : values()) if (t.name().equals(name)) return t;
            return null;
        }
    }

    /** One tensor's header entry, checked for internal consistency. */
    private record Entry(String name, StoredType type, int[] shape, long begin, long end) {
    }

    /**
     * Reads a whole file. The tensors come in header order; F16 and BF16 data become F32 tensors. Everything the
     * header claims is checked before any data is read: header length within the file, UTF-8 JSON, known dtypes,
     * offsets within the data, consistent with shape × element size, and covering the data exactly.
     */
    public static SafeTensors read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(file, "file is " + size + " bytes long, shorter than the 8-byte header length");
            long n = readFully(file, ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            long available = size - 8;
            if (n < 0 || n > available) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " is larger than the " + available
                        + " bytes after the length field");
            }
            if (n > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            String json = decodeUtf8(file, readFully(file, ch, 8, (int) n));
            Object parsed;
            try {
                parsed = Json.parse(json);
            } catch (IllegalArgumentException e) {
                throw bad(file, "header is not valid JSON: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> top)) throw bad(file, "header is not a JSON object");
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA_KEY)) metadata = metadata(file, e.getValue());
                else entries.add(entry(file, name, e.getValue()));
            }
            long dataBytes = available - n;
            checkLayout(file, entries, dataBytes);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) tensors.put(e.name(), readTensor(file, ch, 8 + n, e, chunk));
            return new SafeTensors(tensors, metadata);
        }
    }

    private static Map<String, String> metadata(Path file, Object value) throws SafeTensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) throw bad(file, METADATA_KEY + " is not a JSON object");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw bad(file, METADATA_KEY + " entry " + Json.quote((String) e.getKey()) + " is not a string");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static final Set<String> FIELDS = Set.of("dtype", "shape", "data_offsets");

    private static Entry entry(Path file, String name, Object value) throws SafeTensorsFormatException {
        String what = "tensor " + Json.quote(name);
        if (!(value instanceof Map<?, ?> info)) throw bad(file, what + " is not described by a JSON object");
        for (Object key : info.keySet()) {
            if (!FIELDS.contains(key)) throw bad(file, what + " has an unexpected field " + Json.quote((String) key));
        }
        if (!(info.get("dtype") instanceof String dtypeName)) throw bad(file, what + " has no string field \"dtype\"");
        StoredType type = StoredType.named(dtypeName);
        if (type == null) {
            throw bad(file, what + " has dtype " + Json.quote(dtypeName)
                    + ", which is unknown or not supported (readable: F32, F64, F16, BF16)");
        }
        if (!(info.get("shape") instanceof List<?> dims)) throw bad(file, what + " has no array field \"shape\"");
        int[] shape = new int[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw bad(file, what + " has an invalid shape " + dims + " (sizes must be integers in [0, 2³¹))");
            }
            shape[i] = (int) (long) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE) {
                throw bad(file, what + " of shape " + dims + " has more elements than a Java array can hold");
            }
        }
        if (!(info.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)
                || begin < 0 || end < begin) {
            throw bad(file, what + " has invalid data_offsets " + info.get("data_offsets")
                    + " (expected [begin, end] with 0 ≤ begin ≤ end)");
        }
        long need = numel * type.bytes;
        if (end - begin != need) {
            throw bad(file, what + " has data_offsets [" + begin + ", " + end + "] spanning " + (end - begin)
                    + " bytes, but shape " + dims + " of " + type + " needs " + need + " bytes");
        }
        return new Entry(name, type, shape, begin, end);
    }

    /** Every tensor within the data, and the tensors tiling it exactly (as the reference implementation demands). */
    private static void checkLayout(Path file, List<Entry> entries, long dataBytes) throws SafeTensorsFormatException {
        for (Entry e : entries) {
            if (e.end() > dataBytes) {
                throw bad(file, "tensor " + Json.quote(e.name()) + " has data_offsets [" + e.begin() + ", " + e.end()
                        + "] but only " + dataBytes + " bytes of data follow the header (truncated file or offsets out"
                        + " of range)");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < at) {
                throw bad(file, "data of tensors " + Json.quote(previous.name()) + " [" + previous.begin() + ", "
                        + previous.end() + "] and " + Json.quote(e.name()) + " [" + e.begin() + ", " + e.end()
                        + "] overlap");
            }
            if (e.begin() > at) {
                throw bad(file, "bytes [" + at + ", " + e.begin() + ") of the data before tensor "
                        + Json.quote(e.name()) + " belong to no tensor");
            }
            at = e.end();
            previous = e;
        }
        if (at != dataBytes) {
            throw bad(file, "bytes [" + at + ", " + dataBytes + ") of the data, after the last tensor, belong to no"
                    + " tensor");
        }
    }

    private static Tensor readTensor(Path file, FileChannel ch, long dataStart, Entry e, ByteBuffer chunk)
            throws IOException {
        Tensor t = Tensor.allocate(e.type().dtype, e.shape());
        int n = t.numel(), per = CHUNK_BYTES / e.type().bytes;
        long pos = dataStart + e.begin();
        for (int i = 0; i < n; ) {
            int k = Math.min(n - i, per);
            chunk.clear().limit(k * e.type().bytes);
            readInto(file, ch, pos, chunk);
            chunk.flip();
            switch (e.type()) {
                case F64 -> chunk.asDoubleBuffer().get(t.f64(), i, k);
                case F32 -> chunk.asFloatBuffer().get(t.f32(), i, k);
                case F16 -> {
                    float[] out = t.f32();
                    for (int j = 0; j < k; j++) out[i + j] = Float.float16ToFloat(chunk.getShort(2 * j));
                }
                case BF16 -> {
                    // bfloat16 is the top half of a float32.
                    float[] out = t.f32();
                    for (int j = 0; j < k; j++) out[i + j] = Float.intBitsToFloat((chunk.getShort(2 * j) & 0xffff) << 16);
                }
            }
            pos += (long) k * e.type().bytes;
            i += k;
        }
        return t;
    }

    private static ByteBuffer readFully(Path file, FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        readInto(file, ch, position, b);
        return b.flip();
    }

    private static void readInto(Path file, FileChannel ch, long position, ByteBuffer b) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw bad(file, "unexpected end of file at byte " + pos + " (the file shrank while being read)");
            pos += r;
        }
    }

    private static String decodeUtf8(Path file, ByteBuffer bytes) throws SafeTensorsFormatException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw bad(file, "header is not valid UTF-8", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static SafeTensorsFormatException bad(Path file, String problem) {
        return new SafeTensorsFormatException(file, problem);
    }

    private static SafeTensorsFormatException bad(Path file, String problem, Throwable cause) {
        return new SafeTensorsFormatException(file, problem, cause);
    }
}
