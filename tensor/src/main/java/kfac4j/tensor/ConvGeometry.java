package kfac4j.tensor;

/**
 * The geometry of a 2-D convolution window: kernel size, stride, zero padding and dilation per spatial axis.
 * Output size per axis: {@code ⌊(in + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1}, as PyTorch; it is ≤ 0 when
 * the padded input is smaller than the dilated kernel.
 */
public record ConvGeometry(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW) {

    public ConvGeometry {
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1
                || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("ConvGeometry: kernel, stride and dilation must be ≥ 1 and padding ≥ 0, got "
                    + this);
        }
    }

    /** A square window with equal stride, padding and dilation on both axes. */
    public static ConvGeometry square(int kernel, int stride, int pad, int dilation) {
        return new ConvGeometry(kernel, kernel, stride, stride, pad, pad, dilation, dilation);
    }

    public int outH(int h) {
        return Math.floorDiv(h + 2 * padH - dilationH * (kernelH - 1) - 1, strideH) + 1;
    }

    public int outW(int w) {
        return Math.floorDiv(w + 2 * padW - dilationW * (kernelW - 1) - 1, strideW) + 1;
    }
}
