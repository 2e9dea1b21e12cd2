package kfac4j.nn;

/**
 * The unit K-FAC understands: {@code y = x Wᵀ + b} applied with one weight (D_out, D_in) and optional bias (D_out) to
 * every row of its input, the rows grouped by example (DESIGN.md §4, §5.1). Linear layers over tokens, nodes or
 * positions, convolutions (over patches), attention projections, GCN layers and ViT patch embeddings all expose
 * themselves through this interface.
 */
public interface WeightSharingLinear {
    /** The weight, shape (D_out, D_in), PyTorch layout. */
    Parameter weight();

    /** The bias, shape (D_out), or null. */
    Parameter bias();

    int inFeatures();

    int outFeatures();

    /**
     * Switches capture on (a listener) or off (null). While off, forward and backward pay nothing for it. Switching
     * on restarts the call count at 0.
     */
    void setCaptureListener(CaptureListener listener);
}
