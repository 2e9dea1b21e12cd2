package kfac4j.examples.progress;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;

/**
 * A table of metrics, one row per evaluation, written as CSV ({@code .csv}) or JSON lines ({@code .jsonl}) as it
 * grows. Rows go to {@code FILE.partial}, flushed after each, so a long run can be watched and a crash keeps what was
 * measured; {@link #close()} renames it to {@code FILE} in one atomic step, so {@code FILE} is always complete.
 *
 * <p>Values are numbers or strings (an optimizer's name). CSV writes NaN as {@code NaN}; JSON, which has no NaN,
 * writes {@code null}. The rows are also kept in memory for plots ({@link #column}).
 */
public final class MetricsLog implements AutoCloseable {
    public enum Format { CSV, JSON_LINES }

    private final Path file;
    private final Path partial;
    private final Format format;
    private final List<String> columns;
    private final List<Object[]> rows = new ArrayList<>();
    private BufferedWriter writer;

    private MetricsLog(Path file, Format format, List<String> columns) throws IOException {
        if (columns.isEmpty()) throw new IllegalArgumentException("MetricsLog: needs at least one column");
        if (new HashSet<>(columns).size() != columns.size()) throw new IllegalArgumentException("MetricsLog: repeated column in " + columns);
        for (String c : columns) if (c == null || c.isBlank()) throw new IllegalArgumentException("MetricsLog: blank column name in " + columns);
        this.file = file;
        this.partial = file.resolveSibling(file.getFileName() + ".partial");
        this.format = format;
        this.columns = List.copyOf(columns);
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        this.writer = Files.newBufferedWriter(partial, StandardCharsets.UTF_8);
        if (format == Format.CSV) {
            writer.write(String.join(",", this.columns.stream().map(MetricsLog::csvField).toList()));
            writer.newLine();
            writer.flush();
        }
    }

    /** A log whose format follows the file name: {@code .csv}, or {@code .jsonl} / {@code .json} for JSON lines. */
    public static MetricsLog open(Path file, String... columns) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Format f;
        if (name.endsWith(".csv")) f = Format.CSV;
        else if (name.endsWith(".jsonl") || name.endsWith(".json")) f = Format.JSON_LINES;
        else throw new IllegalArgumentException("MetricsLog: " + file + " should end in .csv or .jsonl to choose the format");
        return new MetricsLog(file, f, Arrays.asList(columns));
    }

    public static MetricsLog open(Path file, Format format, String... columns) throws IOException {
        return new MetricsLog(file, format, Arrays.asList(columns));
    }

    public List<String> columns() {
        return columns;
    }

    /** Appends one row, one value per column (a Number, a String, a Boolean or null), and flushes it. */
    public void append(Object... values) throws IOException {
        if (writer == null) throw new IllegalStateException("MetricsLog: " + file + " is already closed");
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("MetricsLog: a row of " + values.length + " values for " + columns.size() + " columns " + columns);
        }
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            if (v != null && !(v instanceof Number) && !(v instanceof String) && !(v instanceof Boolean)) {
                throw new IllegalArgumentException("MetricsLog: column " + columns.get(i) + " got a " + v.getClass().getSimpleName()
                        + "; values must be numbers, strings or booleans");
            }
        }
        rows.add(values.clone());
        writer.write(format == Format.CSV ? csvRow(values) : jsonRow(values));
        writer.newLine();
        writer.flush();
    }

    /** The rows so far, as given. */
    public List<Object[]> rows() {
        return rows.stream().map(Object[]::clone).toList();
    }

    /** A numeric column as doubles (NaN where a row holds something that is not a number). */
    public double[] column(String name) {
        int c = columns.indexOf(name);
        if (c < 0) throw new IllegalArgumentException("MetricsLog: no column '" + name + "'; columns are " + columns);
        double[] out = new double[rows.size()];
        for (int r = 0; r < rows.size(); r++) out[r] = rows.get(r)[c] instanceof Number n ? n.doubleValue() : Double.NaN;
        return out;
    }

    /** The final file (complete once closed). */
    public Path file() {
        return file;
    }

    /** Finishes the file: renames {@code FILE.partial} to {@code FILE}, replacing an older one. */
    @Override
    public void close() throws IOException {
        if (writer == null) return;
        writer.close();
        writer = null;
        try {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String csvRow(Object[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(',');
            Object v = values[i];
            if (v == null) continue;
            sb.append(v instanceof String s ? csvField(s) : number(v, false));
        }
        return sb.toString();
    }

    /** RFC 4180 quoting: fields with a comma, quote, line break or outer space are quoted, quotes doubled. */
    static String csvField(String s) {
        boolean quote = s.isEmpty() || s.strip().length() != s.length()
                || s.chars().anyMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r');
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    private String jsonRow(Object[] values) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(jsonString(columns.get(i))).append(": ");
            Object v = values[i];
            if (v == null) sb.append("null");
            else if (v instanceof String s) sb.append(jsonString(s));
            else sb.append(number(v, true));
        }
        return sb.append('}').toString();
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Integers as integers, floating values in Java's shortest round-trip form; JSON has null for NaN and infinities. */
    private static String number(Object v, boolean json) {
        if (v instanceof Boolean b) return b.toString();
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) return json ? "null" : Double.toString(d);
            return v instanceof Float f ? Float.toString(f) : Double.toString(d);
        }
        return v.toString();
    }
}
