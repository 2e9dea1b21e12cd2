package kfac4j.nn;

import java.util.Arrays;
import java.util.function.Supplier;

import kfac4j.tensor.Tensor;

/**
 * The rows a weight-sharing linear layer sees (its inputs) or emits gradients for (its outputs), grouped by example:
 * {@code rows} has shape (M, D), and {@code exampleOfRow[m]} is the example (in [0, numExamples)) that row m belongs
 * to. A regular input of shape (N, R..., D) gives M = N·R rows, R consecutive rows per example; a ragged batch (graphs
 * of different sizes) gives R_n rows for example n. See DESIGN.md §5.1.
 *
 * <p>K-FAC-expand reads the rows, K-FAC-reduce only their per-example sums {@code Σ_r a_{n,r}}. A layer whose rows
 * are costly to build (a convolution's patches) gives both lazily ({@link #regular(int, int, int, Supplier, Supplier)}),
 * with a direct way to the sums, so that each is made only when asked for, and once.
 */
public final class SharedRows {
    private final int numRows, width, numExamples;
    /** R when every example has R consecutive rows (R > 0), else 0. */
    private final int perExample;
    private int[] exampleOfRow;
    private Tensor rows;
    private Supplier<Tensor> rowsSource;
    private Tensor exampleSums;
    private Supplier<Tensor> exampleSumsSource;

    public SharedRows(Tensor rows, int[] exampleOfRow, int numExamples) {
        if (rows.rank() != 2) {
            throw new IllegalArgumentException("SharedRows: rows must have shape (M, D), got " + Arrays.toString(rows.shape()));
        }
        if (exampleOfRow.length != rows.size(0)) {
            throw new IllegalArgumentException("SharedRows: " + exampleOfRow.length + " example ids for "
                    + rows.size(0) + " rows");
        }
        this.rows = rows;
        this.exampleOfRow = exampleOfRow;
        this.numExamples = numExamples;
        this.numRows = rows.size(0);
        this.width = rows.size(1);
        this.perExample = regularRowsPerExample(exampleOfRow, numExamples);
    }

    private SharedRows(int numExamples, int perExample, int width, Supplier<Tensor> rows, Supplier<Tensor> exampleSums) {
        if (numExamples < 1 || perExample < 1 || width < 0) {
            throw new IllegalArgumentException("SharedRows: a regular batch needs ≥ 1 example and ≥ 1 row per example,"
                    + " got " + numExamples + " examples of " + perExample + " rows of width " + width);
        }
        this.numExamples = numExamples;
        this.perExample = perExample;
        this.width = width;
        this.numRows = Math.multiplyExact(numExamples, perExample);
        this.rowsSource = rows;
        this.exampleSumsSource = exampleSums;
    }

    /** Rows of a regular input of shape (N, R..., D): every example has the same number of rows, consecutively. */
    public static SharedRows regular(Tensor input) {
        int n = input.size(0), d = input.size(-1);
        Tensor rows = input.reshape(-1, d);
        int perExample = n == 0 ? 0 : rows.size(0) / n;
        int[] ids = new int[rows.size(0)];
        for (int m = 0; m < ids.length; m++) ids[m] = m / perExample;
        return new SharedRows(rows, ids, n);
    }

    /**
     * A regular batch of {@code numExamples · perExample} rows of width {@code width}, given lazily: {@code rows}
     * makes the (M, D) rows, example after example; {@code exampleSums} makes their per-example sums (N, D) directly.
     * Each is called at most once, and only when asked for.
     */
    public static SharedRows regular(int numExamples, int perExample, int width, Supplier<Tensor> rows,
                                     Supplier<Tensor> exampleSums) {
        return new SharedRows(numExamples, perExample, width, rows, exampleSums);
    }

    /** The rows, shape (M, D). */
    public Tensor rows() {
        if (rows == null) {
            rows = checked("rows", rowsSource.get(), numRows);
            rowsSource = null;
        }
        return rows;
    }

    /** The example of every row. */
    public int[] exampleOfRow() {
        if (exampleOfRow == null) {
            int[] ids = new int[numRows];
            for (int m = 0; m < numRows; m++) ids[m] = m / perExample;
            exampleOfRow = ids;
        }
        return exampleOfRow;
    }

    /** The number of examples N. */
    public int numExamples() {
        return numExamples;
    }

    /** The number of rows M. */
    public int numRows() {
        return numRows;
    }

    /** The width D. */
    public int width() {
        return width;
    }

    /** R when every example has R consecutive rows (R ≥ 1), else 0 (a ragged batch, or no rows). */
    public int rowsPerExample() {
        return perExample;
    }

    /**
     * {@code Σ_r a_{n,r}} for every example, shape (N, D); an example without rows gets zeros. Regular batches sum
     * R consecutive rows, ragged ones by segment.
     */
    public Tensor exampleSums() {
        if (exampleSums == null) {
            if (exampleSumsSource != null) {
                exampleSums = checked("per-example sums", exampleSumsSource.get(), numExamples);
                exampleSumsSource = null;
            } else if (perExample > 0) {
                exampleSums = rows().reshape(numExamples, perExample, width).sum(1);
            } else {
                exampleSums = rows().segmentSum(exampleOfRow(), numExamples);
            }
        }
        return exampleSums;
    }

    /**
     * The same examples with only their per-example sums ({@link #exampleSums()}, taken now), not the rows: what
     * K-FAC-reduce keeps of an output gradient, so that the gradient's memory can be recycled once the backward pass
     * has consumed it. Asking the result for its rows fails.
     */
    public SharedRows exampleSumsOnly() {
        return new SharedRows(this, exampleSums());
    }

    private SharedRows(SharedRows of, Tensor exampleSums) {
        this.numRows = of.numRows;
        this.width = of.width;
        this.numExamples = of.numExamples;
        this.perExample = of.perExample;
        this.exampleOfRow = of.perExample > 0 ? null : of.exampleOfRow();
        this.exampleSums = exampleSums;
        this.rowsSource = () -> {
            throw new IllegalStateException("SharedRows: only the per-example sums of these rows were kept");
        };
    }

    private Tensor checked(String what, Tensor t, int count) {
        if (t.rank() != 2 || t.size(0) != count || t.size(1) != width) {
            throw new IllegalStateException("SharedRows: the " + what + " must have shape [" + count + ", " + width
                    + "], got " + Arrays.toString(t.shape()));
        }
        return t;
    }

    private static int regularRowsPerExample(int[] ids, int n) {
        int m = ids.length;
        if (n == 0 || m % n != 0 || m == 0) return 0;
        int r = m / n;
        for (int i = 0; i < m; i++) if (ids[i] != i / r) return 0;
        return r;
    }

    @Override
    public String toString() {
        return "SharedRows[" + numRows + " rows of width " + width + ", " + numExamples + " examples]";
    }
}
