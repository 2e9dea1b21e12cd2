package kfac4j.tensor;

/** Indexing, scattering, segment reductions and joining. */
final class Indexing {
    private Indexing() {
    }

    static Tensor indexSelect(Tensor x, int axis, int[] indices) { throw new UnsupportedOperationException("indexSelect"); }
    static Tensor indexAdd(Tensor x, int axis, int[] indices, Tensor source) { throw new UnsupportedOperationException("indexAdd"); }
    static Tensor gather(Tensor x, int axis, Tensor index) { throw new UnsupportedOperationException("gather"); }
    static Tensor scatterAdd(Tensor x, int axis, Tensor index, Tensor src) { throw new UnsupportedOperationException("scatterAdd"); }
    static Tensor segmentSum(Tensor x, int[] ids, int n) { throw new UnsupportedOperationException("segmentSum"); }
    static Tensor segmentMean(Tensor x, int[] ids, int n) { throw new UnsupportedOperationException("segmentMean"); }
    static Tensor concat(int axis, Tensor... parts) { throw new UnsupportedOperationException("concat"); }
    static Tensor stack(int axis, Tensor... parts) { throw new UnsupportedOperationException("stack"); }
    static Tensor pad(Tensor x, int[] before, int[] after, double value) { throw new UnsupportedOperationException("pad"); }
    static Tensor oneHot(DType dtype, int[] labels, int numClasses) { throw new UnsupportedOperationException("oneHot"); }
}
