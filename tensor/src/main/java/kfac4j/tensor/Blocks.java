package kfac4j.tensor;

import kfac4j.tensor.kernel.Kernels;

/**
 * How the tensor layer shares elementwise and row-wise work over the compute threads (those of the GEMM): the
 * iteration space is cut into blocks by its size alone, never by the number of threads, and every element is computed
 * by the same operations whichever thread runs its block, so results do not depend on the thread count.
 */
final class Blocks {
    private Blocks() {
    }

    /** Elements per block at least: below this, handing work to another thread costs more than it saves. */
    static final int GRAIN = 1 << 15;
    /** At most this many blocks (enough to even out threads that get less CPU time). */
    private static final int MAX_BLOCKS = 32;

    /** The work on units [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in blocks of at least {@code grain} units, possibly in parallel. */
    static void run(int n, int grain, Range body) {
        int blocks = blocks(n, grain);
        if (blocks <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        Kernels.parallel(blocks, b -> body.run(start(n, blocks, b), start(n, blocks, b + 1)));
    }

    /** The number of blocks {@link #run} cuts n units of at least {@code grain} into. */
    static int blocks(int n, int grain) {
        return (int) Math.min(MAX_BLOCKS, Math.max(1, (long) n / Math.max(1, grain)));
    }

    /** The first unit of block b of {@code blocks} over [0, n). */
    static int start(int n, int blocks, int b) {
        return (int) ((long) n * b / blocks);
    }
}
