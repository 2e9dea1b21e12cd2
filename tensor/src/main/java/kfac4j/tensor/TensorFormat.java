package kfac4j.tensor;

/** NumPy-style printing: nested brackets, aligned columns, the dtype and shape after. */
final class TensorFormat {
    private static final int MAX_ELEMENTS = 1000;

    private TensorFormat() {
    }

    static String format(Tensor t) {
        int[] shape = t.shapeRef();
        String suffix = "dtype=" + t.dtype() + ", shape=" + Shapes.str(shape);
        if (t.numel() > MAX_ELEMENTS) return "tensor(<" + t.numel() + " elements>, " + suffix + ")";
        double[] v = t.toDoubleArray();
        String[] cells = new String[v.length];
        int width = 0;
        for (int i = 0; i < v.length; i++) {
            cells[i] = cell(v[i], t.dtype());
            width = Math.max(width, cells[i].length());
        }
        StringBuilder sb = new StringBuilder("tensor(");
        if (shape.length == 0) {
            sb.append(cells[0]);
        } else {
            nest(sb, shape, 0, 0, cells, width, "tensor(".length());
        }
        return sb.append(", ").append(suffix).append(')').toString();
    }

    private static int nest(StringBuilder sb, int[] shape, int axis, int pos, String[] cells, int width, int indent) {
        sb.append('[');
        int n = shape[axis];
        for (int i = 0; i < n; i++) {
            if (axis == shape.length - 1) {
                if (i > 0) sb.append(", ");
                sb.append(" ".repeat(width - cells[pos].length())).append(cells[pos]);
                pos++;
            } else {
                if (i > 0) {
                    sb.append(',').append("\n".repeat(shape.length - axis - 1)).append(" ".repeat(indent + axis + 1));
                }
                pos = nest(sb, shape, axis + 1, pos, cells, width, indent);
            }
        }
        sb.append(']');
        return pos;
    }

    private static String cell(double v, DType dtype) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.format("%.1f", v);
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e6) {
            String s = String.format(dtype == DType.F32 ? "%.4f" : "%.6f", v);
            return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", ".0") : s;
        }
        return String.format(dtype == DType.F32 ? "%.4e" : "%.6e", v);
    }
}
