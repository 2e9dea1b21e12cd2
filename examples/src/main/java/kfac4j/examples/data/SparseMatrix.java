package kfac4j.examples.data;

import java.util.Arrays;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * A sparse matrix in compressed sparse row form: row r's entries are {@code colIndex[k], values[k]} for k in
 * {@code [rowPtr[r], rowPtr[r+1])}, columns ascending within a row. {@link #rowIndex()} gives the row of every entry,
 * so (rowIndex, colIndex, values) is the same matrix in coordinate (COO) form, as gather / segment-sum kernels want.
 */
public record SparseMatrix(int rows, int cols, int[] rowPtr, int[] colIndex, double[] values) {
    public SparseMatrix {
        if (rowPtr.length != rows + 1 || rowPtr[0] != 0 || rowPtr[rows] != colIndex.length || colIndex.length != values.length) {
            throw new IllegalArgumentException("SparseMatrix: inconsistent CSR arrays for " + rows + "×" + cols + " (rowPtr "
                    + rowPtr.length + ", colIndex " + colIndex.length + ", values " + values.length + ")");
        }
        for (int r = 0; r < rows; r++) {
            if (rowPtr[r] > rowPtr[r + 1]) throw new IllegalArgumentException("SparseMatrix: rowPtr decreases at row " + r);
            for (int k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
                if (colIndex[k] < 0 || colIndex[k] >= cols) {
                    throw new IllegalArgumentException("SparseMatrix: column " + colIndex[k] + " in row " + r + " outside [0, " + cols + ")");
                }
            }
        }
    }

    /**
     * The GCN propagation matrix Â = D^-1/2 (A + I) D^-1/2 of an undirected graph on n nodes, D the degree matrix of
     * A + I (Kipf and Welling 2017; DESIGN.md §4). A is the 0/1 symmetric adjacency of the edges (u, v): both
     * directions, repeats and self-loops in the list count once, and every node gets exactly one self-loop.
     */
    public static SparseMatrix gcnNormalized(int n, int[] src, int[] dst) {
        if (src.length != dst.length) {
            throw new IllegalArgumentException("gcnNormalized: " + src.length + " edge sources but " + dst.length + " targets");
        }
        // Both directions of every edge plus the diagonal, as (row << 32 | col) keys: sort, then drop repeats.
        long[] keys = new long[2 * src.length + n];
        int m = 0;
        for (int k = 0; k < src.length; k++) {
            int u = src[k], v = dst[k];
            if (u < 0 || u >= n || v < 0 || v >= n) {
                throw new IllegalArgumentException("gcnNormalized: edge " + k + " (" + u + ", " + v + ") has a node outside [0, " + n + ")");
            }
            if (u == v) continue;
            keys[m++] = ((long) u << 32) | v;
            keys[m++] = ((long) v << 32) | u;
        }
        for (int v = 0; v < n; v++) keys[m++] = ((long) v << 32) | v;
        Arrays.sort(keys, 0, m);
        int[] rowPtr = new int[n + 1];
        int[] col = new int[m];
        int nnz = 0;
        for (int k = 0; k < m; k++) {
            if (k > 0 && keys[k] == keys[k - 1]) continue;
            int r = (int) (keys[k] >>> 32);
            col[nnz++] = (int) keys[k];
            rowPtr[r + 1]++;
        }
        for (int r = 0; r < n; r++) rowPtr[r + 1] += rowPtr[r];
        col = Arrays.copyOf(col, nnz);
        double[] invSqrtDeg = new double[n];
        for (int r = 0; r < n; r++) invSqrtDeg[r] = 1 / Math.sqrt(rowPtr[r + 1] - rowPtr[r]);
        double[] val = new double[nnz];
        for (int r = 0; r < n; r++) {
            for (int k = rowPtr[r]; k < rowPtr[r + 1]; k++) val[k] = invSqrtDeg[r] * invSqrtDeg[col[k]];
        }
        return new SparseMatrix(n, n, rowPtr, col, val);
    }

    public int nnz() {
        return colIndex.length;
    }

    /** The row of every stored entry (the COO row array). */
    public int[] rowIndex() {
        int[] r = new int[colIndex.length];
        for (int i = 0; i < rows; i++) Arrays.fill(r, rowPtr[i], rowPtr[i + 1], i);
        return r;
    }

    /** The entry at (r, c), 0 when not stored. */
    public double get(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IndexOutOfBoundsException("SparseMatrix: (" + r + ", " + c + ") outside " + rows + "×" + cols);
        }
        int k = Arrays.binarySearch(colIndex, rowPtr[r], rowPtr[r + 1], c);
        return k >= 0 ? values[k] : 0;
    }

    /** The dense (rows, cols) matrix. */
    public Tensor toDense(DType dtype) {
        double[] d = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = rowPtr[r]; k < rowPtr[r + 1]; k++) d[r * cols + colIndex[k]] += values[k];
        }
        return Tensor.fromArray(d, rows, cols).to(dtype);
    }

    /** This matrix times a dense (cols, K) matrix: (rows, K), in the dense matrix's dtype (no gradient). */
    public Tensor multiply(Tensor dense) {
        if (dense.rank() != 2 || dense.size(0) != cols) {
            throw new IllegalArgumentException("SparseMatrix.multiply: " + rows + "×" + cols + " times " + Arrays.toString(dense.shape())
                    + " does not fit; expected (" + cols + ", K)");
        }
        int kk = dense.size(1);
        double[] b = dense.toDoubleArray();
        double[] out = new double[rows * kk];
        for (int r = 0; r < rows; r++) {
            for (int k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
                double a = values[k];
                int c = colIndex[k];
                for (int j = 0; j < kk; j++) out[r * kk + j] += a * b[c * kk + j];
            }
        }
        return Tensor.fromArray(out, rows, kk).to(dense.dtype());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SparseMatrix m && rows == m.rows && cols == m.cols && Arrays.equals(rowPtr, m.rowPtr)
                && Arrays.equals(colIndex, m.colIndex) && Arrays.equals(values, m.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(colIndex) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "SparseMatrix(" + rows + "×" + cols + ", " + nnz() + " entries)";
    }
}
