package kfac4j.examples.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08 = unsigned byte, the only one these
 * sets use), a rank byte, the dimensions as big-endian 32-bit integers, then the values in row-major order. Files may
 * be gzip-compressed; the gzip magic (1f 8b) is detected, not guessed from the name.
 */
public final class IdxFile {
    /** The IDX type code of unsigned bytes. */
    static final int UNSIGNED_BYTE = 0x08;

    /** The contents of an unsigned-byte IDX file: its dimensions and its values (as raw bytes; mask with 0xFF). */
    public record Array(int[] dims, byte[] data) {
        public int count() {
            return dims.length == 0 ? 1 : dims[0];
        }
    }

    private IdxFile() {
    }

    /** Reads a whole unsigned-byte IDX file; anything unexpected raises a {@link DatasetFormatException}. */
    public static Array read(Path file) throws IOException {
        try (InputStream in = open(file)) {
            DataInputStream d = new DataInputStream(in);
            int b0 = d.read(), b1 = d.read(), type = d.read(), rank = d.read();
            if (rank < 0) throw new DatasetFormatException(file, "truncated header: an IDX file starts with 4 magic bytes");
            if (b0 != 0 || b1 != 0) {
                throw new DatasetFormatException(file, String.format(
                        "bad magic %02x %02x %02x %02x: an IDX file starts with 00 00, the type and the rank", b0, b1, type, rank));
            }
            if (type != UNSIGNED_BYTE) {
                throw new DatasetFormatException(file, String.format(
                        "IDX data type 0x%02x is not supported; MNIST-style files hold unsigned bytes (0x08)", type));
            }
            if (rank == 0) throw new DatasetFormatException(file, "IDX rank 0: expected at least one dimension");
            int[] dims = new int[rank];
            long total = 1;
            for (int k = 0; k < rank; k++) {
                try {
                    dims[k] = d.readInt();
                } catch (EOFException e) {
                    throw new DatasetFormatException(file, "truncated header: it declares " + rank + " dimensions but ends after " + k);
                }
                if (dims[k] < 0) throw new DatasetFormatException(file, "dimension " + k + " is negative (" + dims[k] + ")");
                total *= dims[k];
            }
            if (total > Integer.MAX_VALUE - 16) {
                throw new DatasetFormatException(file, "dimensions " + Arrays.toString(dims) + " are too large to load");
            }
            byte[] data = d.readNBytes((int) total);
            if (data.length < total) {
                throw new DatasetFormatException(file, "truncated data: dimensions " + Arrays.toString(dims) + " need " + total
                        + " bytes after the header, found " + data.length);
            }
            long extra = 0;
            while (d.read() >= 0) extra++;
            if (extra > 0) {
                throw new DatasetFormatException(file, extra + " unexpected bytes after the " + total + " bytes that dimensions "
                        + Arrays.toString(dims) + " declare");
            }
            return new Array(dims, data);
        } catch (ZipException | EOFException e) {
            throw new DatasetFormatException(file, "corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
    }

    /** Writes an unsigned-byte IDX file, gzip-compressed when {@code gzip} is set (for tests and conversions). */
    public static void write(Path file, int[] dims, byte[] data, boolean gzip) throws IOException {
        long total = 1;
        for (int d : dims) total *= d;
        if (total != data.length) {
            throw new IllegalArgumentException("IdxFile.write: dimensions " + Arrays.toString(dims) + " need " + total
                    + " bytes, got " + data.length);
        }
        try (var raw = Files.newOutputStream(file);
             var out = new DataOutputStream(gzip ? new GZIPOutputStream(raw) : raw)) {
            out.writeByte(0);
            out.writeByte(0);
            out.writeByte(UNSIGNED_BYTE);
            out.writeByte(dims.length);
            for (int d : dims) out.writeInt(d);
            out.write(data);
        }
    }

    /** The file's bytes, decompressed when they start with the gzip magic. */
    static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int m0 = in.read(), m1 = in.read();
        in.reset();
        if (m0 == 0x1f && m1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } catch (ZipException | EOFException e) {
                in.close();
                throw new DatasetFormatException(file, "corrupt gzip header (" + e.getMessage() + ")", e);
            }
        }
        return in;
    }
}
