/**
 * K-FAC for every weight-sharing linear layer (DESIGN.md §5): dense layers over tokens, nodes or positions,
 * convolutions (KFC), attention projections and graph convolutions, in the two flavours of Eschenhagen et al. (2023).
 *
 * <p>How the pieces fit, bottom up:
 * <ul>
 * <li>{@code CurvatureCapture} listens to the layers ({@link kfac4j.nn.WeightSharingLinear}'s capture):
 * input rows at the forward pass, output-gradient rows at each backward pass;</li>
 * <li>{@code FisherPasses} runs the extra backward passes of a {@link kfac4j.kfac.FisherType} from the
 * model output;</li>
 * <li>{@code LayerStatistics} turns rows into the sums behind {@code A} and {@code G} for an
 * {@link kfac4j.kfac.Approximation} (expand: every row; reduce: per-example means and sums), one GEMM each;</li>
 * <li>{@link kfac4j.kfac.KroneckerFactors} is one layer's block {@code G ⊗ A}: matvec, damped inverses
 * ({@link kfac4j.kfac.DampingMode}), log-determinants; {@link kfac4j.kfac.EigenCorrectedFactors} is EKFAC's;</li>
 * <li>{@link kfac4j.kfac.KfacCurvature} is the operator over a data set, {@link kfac4j.kfac.KfacOptimizer} the
 * optimizer that owns the training step.</li>
 * </ul>
 *
 * <p>Conventions: a layer's parameters are the joint matrix {@code [W b]} (bias as a last column, inputs with a
 * homogeneous 1), vectors are PyTorch's row-major {@code vec([W b])}, so a block is {@code G ⊗ A}, output factor
 * first. The loss is {@code L = ρ Σ ℓ}; {@code G} carries ρ, {@code A} is a mean.
 */
package kfac4j.kfac;
