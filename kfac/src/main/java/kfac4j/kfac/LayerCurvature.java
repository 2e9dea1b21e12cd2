package kfac4j.kfac;

import kfac4j.tensor.Tensor;

/**
 * The curvature block of one weight-sharing layer, as an operator on matrices {@code V} of shape
 * {@code (D_out, D_in')} laid out like the layer's joint parameter {@code [W b]} ({@code D_in' = D_in + 1} with a
 * bias, else {@code D_in}). A flat parameter vector is PyTorch's row-major {@code vec([W b])}, so the block of a
 * K-FAC layer is {@code G ⊗ A}, output factor first (DESIGN.md §5.1).
 */
public sealed interface LayerCurvature permits KroneckerFactors, EigenCorrectedFactors {
    /** D_out, the number of rows of {@code [W b]}. */
    int outputDim();

    /** D_in', the number of columns of {@code [W b]} (one more than the layer's inputs when it has a bias). */
    int inputDim();

    /** The block as a dense (D_out·D_in') × (D_out·D_in') matrix in row-major {@code vec([W b])} order. */
    Tensor dense();

    /** The block applied to {@code V} (shape (D_out, D_in')), returned in the same shape. */
    Tensor matvec(Tensor v);

    /** The inverse of the block plus Tikhonov damping, ready to apply to many matrices. */
    DampedInverse inverse(double damping, DampingMode mode);

    /** log det of the damped block (the same damping as {@link #inverse}). */
    double logdet(double damping, DampingMode mode);

    /** Whether every entry of the factors is finite. */
    boolean isFinite();
}
