package kfac4j.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the operations: element counts, contiguous strides, axis normalisation, broadcasting. */
final class Shapes {
    private Shapes() {
    }

    static int numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array can hold");
        }
        return (int) n;
    }

    static int[] contiguousStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    static void checkShape(String op, int[] shape) {
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException(op + ": negative size in shape " + Arrays.toString(shape));
        }
        numel(shape);
    }

    /** Maps a possibly negative axis to [0, rank), naming the operation when it is out of range. */
    static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IndexOutOfBoundsException(op + ": axis " + axis + " is out of range for a tensor of rank " + rank);
        }
        return a;
    }

    /** The broadcast shape of two shapes under NumPy rules, or an error naming the operation and both shapes. */
    static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Checks that {@code source} broadcasts to exactly {@code target} (as an in-place write or a mask must), else an
     * error such as "op: mask of shape [2] does not broadcast to the tensor's shape [3]".
     */
    static void requireBroadcastsTo(String op, String sourceName, int[] source, String targetName, int[] target) {
        int[] s;
        try {
            s = broadcast(op, target, source);
        } catch (IllegalArgumentException e) {
            s = null;
        }
        if (!Arrays.equals(s, target)) {
            throw new IllegalArgumentException(op + ": " + sourceName + " " + str(source) + " does not broadcast to the "
                    + targetName + " " + str(target));
        }
    }

    /** Strides that read a tensor of the given shape and strides as if it had shape {@code target} (0 on broadcast axes). */
    static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            out[lead + i] = shape[i] == 1 && target[lead + i] != 1 ? 0 : strides[i];
        }
        return out;
    }

    /**
     * The same iteration space with fewer, longer axes: size-1 axes dropped and neighbours merged wherever every
     * operand's strides allow it ({@code stride[i] == stride[i+1]·shape[i+1]}), so that the innermost loop runs as long
     * as possible. Returns {@code {shape, strides of operand 0, strides of operand 1, ...}}, of rank at least 1.
     */
    static int[][] coalesce(int[] shape, int[]... strides) {
        int ops = strides.length;
        int[][] out = new int[ops + 1][shape.length];
        int m = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue;
            boolean merge = m > 0;
            for (int k = 0; k < ops && merge; k++) merge = out[k + 1][m - 1] == strides[k][i] * shape[i];
            if (merge) {
                out[0][m - 1] *= shape[i];
                for (int k = 0; k < ops; k++) out[k + 1][m - 1] = strides[k][i];
            } else {
                out[0][m] = shape[i];
                for (int k = 0; k < ops; k++) out[k + 1][m] = strides[k][i];
                m++;
            }
        }
        if (m == 0) {
            int[][] one = new int[ops + 1][1];
            one[0][0] = 1;
            return one;
        }
        for (int k = 0; k <= ops; k++) out[k] = Arrays.copyOf(out[k], m);
        return out;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
