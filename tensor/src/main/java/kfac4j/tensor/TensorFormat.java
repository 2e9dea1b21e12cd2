package kfac4j.tensor;

import java.util.Locale;

/**
 * NumPy-style printing: nested brackets, right-aligned columns of one common width, a blank line between 2-D blocks,
 * and for large tensors only the first and last {@value #EDGE} entries of each long axis around a {@code ...}.
 *
 * <p>Numbers follow PyTorch's choice of one format for the whole tensor: {@code 3.} when every value is an integer,
 * else four decimals ({@code 0.2500}), or scientific notation ({@code 1.2500e-05}) when the magnitudes span more than
 * a factor of 1000 or leave [1e-4, 1e8). The dtype follows the values; the shape too when it cannot be read off (an
 * empty or abbreviated tensor). Always {@link Locale#ROOT}, so a decimal point is a point everywhere.
 */
final class TensorFormat {
    /** Tensors with more elements are abbreviated. */
    private static final int THRESHOLD = 1000;
    /** Entries kept at each end of an abbreviated axis. */
    private static final int EDGE = 3;
    private static final String PREFIX = "tensor(";

    private TensorFormat() {
    }

    static String format(Tensor t) {
        int[] shape = t.shapeRef();
        boolean summarise = t.numel() > THRESHOLD;
        String suffix = "dtype=" + t.dtype();
        if (t.numel() == 0 || summarise) suffix += ", shape=" + Shapes.str(shape);
        if (t.numel() == 0) return PREFIX + "[]".repeat(Math.min(1, shape.length)) + ", " + suffix + ")";
        int[][] shown = new int[shape.length][];
        for (int a = 0; a < shape.length; a++) shown[a] = shownIndices(shape[a], summarise);
        // Format every shown value first: the number style and the column width depend on all of them.
        double[] values = collect(t, shown);
        String[] cells = cells(values);
        int width = 0;
        for (String c : cells) width = Math.max(width, c.length());
        StringBuilder sb = new StringBuilder(PREFIX);
        if (shape.length == 0) sb.append(cells[0]);
        else nest(sb, shown, 0, new int[]{0}, cells, width);
        return sb.append(", ").append(suffix).append(')').toString();
    }

    /** The indices printed along an axis of size n; -1 marks the ellipsis. */
    private static int[] shownIndices(int n, boolean summarise) {
        if (!summarise || n <= 2 * EDGE) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        int[] s = new int[2 * EDGE + 1];
        for (int i = 0; i < EDGE; i++) {
            s[i] = i;
            s[EDGE + 1 + i] = n - EDGE + i;
        }
        s[EDGE] = -1;
        return s;
    }

    /** The shown values in printing order. */
    private static double[] collect(Tensor t, int[][] shown) {
        int count = 1;
        for (int[] s : shown) {
            int real = 0;
            for (int i : s) if (i >= 0) real++;
            count *= real;
        }
        double[] out = new double[count];
        collect(t, shown, 0, t.offset(), out, new int[]{0});
        return out;
    }

    private static void collect(Tensor t, int[][] shown, int axis, int offset, double[] out, int[] pos) {
        if (axis == shown.length) {
            out[pos[0]++] = t.readFlatOffset(offset);
            return;
        }
        for (int i : shown[axis]) {
            if (i >= 0) collect(t, shown, axis + 1, offset + i * t.stridesRef()[axis], out, pos);
        }
    }

    private static void nest(StringBuilder sb, int[][] shown, int axis, int[] pos, String[] cells, int width) {
        sb.append('[');
        int rank = shown.length;
        int[] idx = shown[axis];
        for (int i = 0; i < idx.length; i++) {
            if (i > 0) {
                if (axis == rank - 1) sb.append(", ");
                else sb.append(',').append("\n".repeat(rank - axis - 1)).append(" ".repeat(PREFIX.length() + axis + 1));
            }
            if (idx[i] < 0) {
                sb.append("...");
            } else if (axis == rank - 1) {
                String c = cells[pos[0]++];
                sb.append(" ".repeat(width - c.length())).append(c);
            } else {
                nest(sb, shown, axis + 1, pos, cells, width);
            }
        }
        sb.append(']');
    }

    private static String[] cells(double[] v) {
        boolean anyFinite = false, integral = true;
        double maxAbs = 0, minAbs = Double.POSITIVE_INFINITY;
        for (double x : v) {
            if (!Double.isFinite(x)) continue;
            anyFinite = true;
            if (x != Math.rint(x)) integral = false;
            double a = Math.abs(x);
            maxAbs = Math.max(maxAbs, a);
            if (a != 0) minAbs = Math.min(minAbs, a);
        }
        String style;
        if (!anyFinite) style = null;
        else if (integral) style = maxAbs > 1e8 ? "%.4e" : "%.0f.";
        else if (maxAbs > 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1000) style = "%.4e";
        else style = "%.4f";
        String[] out = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            double x = v[i];
            if (Double.isNaN(x)) out[i] = "nan";
            else if (Double.isInfinite(x)) out[i] = x > 0 ? "inf" : "-inf";
            else out[i] = String.format(Locale.ROOT, style, x);
        }
        return out;
    }
}
