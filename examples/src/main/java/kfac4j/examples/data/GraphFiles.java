package kfac4j.examples.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Node-classification graphs from three text files. In all three, values are separated by whitespace and/or commas
 * (so CSV works), blank lines and lines starting with {@code #} are skipped, and errors name the file and line.
 * <ul>
 *   <li><b>features</b>: one line per node, in node order (the first data line is node 0), F numbers each; the number
 *       of lines is the number of nodes V.</li>
 *   <li><b>labels</b>: one line per node, in node order, a class id 0, 1, 2, ...; the number of classes is the
 *       largest id + 1.</li>
 *   <li><b>edges</b>: one undirected edge per line, two node ids in [0, V); direction, repeats and self-loops do not
 *       matter (Â adds the self-loops).</li>
 * </ul>
 * A directory holds them as {@code edges.txt}, {@code features.txt} and {@code labels.txt} (or {@code .csv}).
 */
public final class GraphFiles {
    /** The default fractions of each class in the training and validation masks. */
    public static final double TRAIN_FRACTION = 0.2, VALIDATION_FRACTION = 0.3;
    private static final Pattern SEPARATOR = Pattern.compile("[\\s,]+");

    private GraphFiles() {
    }

    /** Reads the three files; masks are a stratified split of 20% training and 30% validation nodes by {@code seed}. */
    public static NodeClassification load(Path edges, Path features, Path labels, long seed) throws IOException {
        List<double[]> rows = new ArrayList<>();
        int f = -1;
        for (Line line : lines(features)) {
            String[] tok = line.tokens();
            if (f < 0) f = tok.length;
            if (tok.length != f) {
                throw new DatasetFormatException(features, line.number(), "has " + tok.length + " features; the first node has " + f);
            }
            double[] r = new double[f];
            for (int j = 0; j < f; j++) r[j] = parseNumber(features, line, tok[j]);
            rows.add(r);
        }
        if (rows.isEmpty()) throw new DatasetFormatException(features, "holds no feature lines, so the graph has no nodes");
        int n = rows.size();
        float[] x = new float[n * f];
        for (int v = 0; v < n; v++) for (int j = 0; j < f; j++) x[v * f + j] = (float) rows.get(v)[j];

        int[] y = new int[n];
        int count = 0, maxLabel = 0;
        for (Line line : lines(labels)) {
            String[] tok = line.tokens();
            if (tok.length != 1) throw new DatasetFormatException(labels, line.number(), "expected one class id, found " + tok.length + " values");
            if (count >= n) {
                throw new DatasetFormatException(labels, line.number(), "more labels than the " + n + " nodes of " + features);
            }
            int label = parseInt(labels, line, tok[0]);
            if (label < 0) throw new DatasetFormatException(labels, line.number(), "label " + label + " is negative; class ids start at 0");
            y[count++] = label;
            maxLabel = Math.max(maxLabel, label);
        }
        if (count != n) throw new DatasetFormatException(labels, "has " + count + " labels but " + features + " has " + n + " nodes");

        StochasticBlockModel.IntList src = new StochasticBlockModel.IntList(), dst = new StochasticBlockModel.IntList();
        for (Line line : lines(edges)) {
            String[] tok = line.tokens();
            if (tok.length != 2) throw new DatasetFormatException(edges, line.number(), "expected two node ids, found " + tok.length + " values");
            int u = parseInt(edges, line, tok[0]), v = parseInt(edges, line, tok[1]);
            for (int id : new int[]{u, v}) {
                if (id < 0 || id >= n) {
                    throw new DatasetFormatException(edges, line.number(), "node " + id + " is outside [0, " + n + ") (the nodes of " + features + ")");
                }
            }
            src.add(u);
            dst.add(v);
        }
        Graph g = new Graph(n, src.toArray(), dst.toArray(), x, f);
        return new NodeClassification(g, y, maxLabel + 1, new boolean[n], new boolean[n])
                .withRandomSplit(TRAIN_FRACTION, VALIDATION_FRACTION, seed);
    }

    /** Reads {@code edges}, {@code features} and {@code labels} ({@code .txt} or {@code .csv}) from a directory. */
    public static NodeClassification loadDirectory(Path dir, long seed) throws IOException {
        return load(find(dir, "edges"), find(dir, "features"), find(dir, "labels"), seed);
    }

    /** Writes a graph in this format (for tests and conversions): edges, features and labels files. */
    public static void write(NodeClassification data, Path edges, Path features, Path labels) throws IOException {
        Graph g = data.graph();
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < g.numEdges(); k++) sb.append(g.src()[k]).append(' ').append(g.dst()[k]).append('\n');
        Files.writeString(edges, sb);
        sb.setLength(0);
        for (int v = 0; v < g.numNodes(); v++) {
            for (int j = 0; j < g.featureDim(); j++) {
                if (j > 0) sb.append(' ');
                sb.append(g.features()[v * g.featureDim() + j]);
            }
            sb.append('\n');
        }
        Files.writeString(features, sb);
        sb.setLength(0);
        for (int label : data.labels()) sb.append(label).append('\n');
        Files.writeString(labels, sb);
    }

    private static Path find(Path dir, String stem) throws IOException {
        for (String ext : new String[]{".txt", ".csv"}) {
            if (Files.isRegularFile(dir.resolve(stem + ext))) return dir.resolve(stem + ext);
        }
        throw new DatasetFormatException(dir, "no " + stem + ".txt or " + stem + ".csv found");
    }

    private record Line(int number, String text) {
        String[] tokens() {
            String t = text.strip();
            if (t.startsWith(",")) t = t.substring(1).strip();
            return SEPARATOR.split(t);
        }
    }

    /** The data lines of a file: numbered from 1, without blank and comment lines. */
    private static List<Line> lines(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new DatasetFormatException(file, "does not exist");
        List<Line> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String s;
            int number = 0;
            while ((s = r.readLine()) != null) {
                number++;
                String t = s.strip();
                if (!t.isEmpty() && !t.startsWith("#")) out.add(new Line(number, t));
            }
        } catch (MalformedInputException e) {
            throw new DatasetFormatException(file, "is not UTF-8 text", e);
        }
        return out;
    }

    private static double parseNumber(Path file, Line line, String token) throws DatasetFormatException {
        try {
            double v = Double.parseDouble(token);
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException ignored) {
            // reported below, with the line
        }
        throw new DatasetFormatException(file, line.number(), "'" + token + "' is not a finite number");
    }

    private static int parseInt(Path file, Line line, String token) throws DatasetFormatException {
        try {
            return Integer.parseInt(token);
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(file, line.number(), "'" + token + "' is not a whole number");
        }
    }
}
