package kfac4j.tensor;

/** im2col and col2im for 2-D convolutions. */
final class Convolution {
    private Convolution() {
    }

    static Tensor unfold(Tensor x, ConvGeometry g) { throw new UnsupportedOperationException("unfold"); }
    static Tensor fold(Tensor cols, ConvGeometry g, int h, int w) { throw new UnsupportedOperationException("fold"); }
}
