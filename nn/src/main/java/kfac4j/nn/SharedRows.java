package kfac4j.nn;

import java.util.Arrays;

import kfac4j.tensor.Tensor;

/**
 * The rows a weight-sharing linear layer sees (its inputs) or emits gradients for (its outputs), grouped by example:
 * {@code rows} has shape (M, D), and {@code exampleOfRow[m]} is the example (in [0, numExamples)) that row m belongs
 * to. A regular input of shape (N, R..., D) gives M = N·R rows, R consecutive rows per example; a ragged batch (graphs
 * of different sizes) gives R_n rows for example n. See DESIGN.md §5.1.
 */
public record SharedRows(Tensor rows, int[] exampleOfRow, int numExamples) {

    public SharedRows {
        if (rows.rank() != 2) {
            throw new IllegalArgumentException("SharedRows: rows must have shape (M, D), got " + Arrays.toString(rows.shape()));
        }
        if (exampleOfRow.length != rows.size(0)) {
            throw new IllegalArgumentException("SharedRows: " + exampleOfRow.length + " example ids for "
                    + rows.size(0) + " rows");
        }
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

    /** The number of rows M. */
    public int numRows() {
        return rows.size(0);
    }

    /** The width D. */
    public int width() {
        return rows.size(1);
    }
}
