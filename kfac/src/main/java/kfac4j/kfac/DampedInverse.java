package kfac4j.kfac;

import java.util.List;

import kfac4j.tensor.Tensor;

/** A layer's damped curvature block, inverted once and applied to many gradients. */
public interface DampedInverse {
    /** The inverse applied to {@code V}, a (D_out, D_in') matrix in the layer's {@code [W b]} layout. */
    Tensor apply(Tensor v);

    /**
     * What had to be repaired while inverting (a Cholesky factorisation retried in F64 or with more damping), one
     * sentence each; empty when nothing went wrong.
     */
    default List<String> notes() {
        return List.of();
    }
}
