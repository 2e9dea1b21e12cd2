package kfac4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;

import org.junit.jupiter.api.Test;

/** toString prints like NumPy (layout) with PyTorch's number formats. */
class TensorFormatTest {

    @Test
    void integralValuesPrintWithATrailingPoint() {
        assertThat(Tensor.arange(DType.F64, 6).reshape(2, 3).toString()).isEqualTo("""
                tensor([[0., 1., 2.],
                        [3., 4., 5.]], dtype=F64)""");
        assertThat(Tensor.of(-1, 10, 0).to(DType.F32).toString()).isEqualTo("tensor([-1., 10.,  0.], dtype=F32)");
    }

    @Test
    void fractionsGetFourDecimalsInAlignedColumns() {
        assertThat(Tensor.of(0.5, -2.25, 10).toString()).isEqualTo("tensor([ 0.5000, -2.2500, 10.0000], dtype=F64)");
        assertThat(Tensor.arange(DType.F32, 8).div(4).reshape(2, 2, 2).toString()).isEqualTo("""
                tensor([[[0.0000, 0.2500],
                         [0.5000, 0.7500]],

                        [[1.0000, 1.2500],
                         [1.5000, 1.7500]]], dtype=F32)""");
    }

    @Test
    void wideRangesSwitchToScientificNotation() {
        assertThat(Tensor.of(1e-5, 1, 100).toString()).isEqualTo("tensor([1.0000e-05, 1.0000e+00, 1.0000e+02], dtype=F64)");
        assertThat(Tensor.of(1, 2000.5).toString()).isEqualTo("tensor([1.0000e+00, 2.0005e+03], dtype=F64)");
        assertThat(Tensor.of(3e9, 1).toString()).isEqualTo("tensor([3.0000e+09, 1.0000e+00], dtype=F64)");
    }

    @Test
    void nonFiniteValuesAndSpecialShapes() {
        assertThat(Tensor.of(Double.NaN, Double.POSITIVE_INFINITY, -1.5).toString())
                .isEqualTo("tensor([    nan,     inf, -1.5000], dtype=F64)");
        assertThat(Tensor.of(Double.NaN).toString()).isEqualTo("tensor([nan], dtype=F64)");
        assertThat(Tensor.scalar(DType.F32, 3.5).toString()).isEqualTo("tensor(3.5000, dtype=F32)");
        assertThat(Tensor.zeros(DType.F32, 0, 3).toString()).isEqualTo("tensor([], dtype=F32, shape=[0, 3])");
        assertThat(Tensor.zeros(DType.F64, 2, 1).mT().toString()).isEqualTo("tensor([[0., 0.]], dtype=F64)");
    }

    @Test
    void largeTensorsShowTheirEdges() {
        String s = Tensor.arange(DType.F64, 2000).reshape(100, 20).toString();
        assertThat(s).startsWith("""
                tensor([[   0.,    1.,    2., ...,   17.,   18.,   19.],
                        [  20.,   21.,   22., ...,   37.,   38.,   39.],
                        [  40.,   41.,   42., ...,   57.,   58.,   59.],
                        ...,
                        [1940., 1941., 1942., ..., 1957., 1958., 1959.],""");
        assertThat(s).endsWith("[1980., 1981., 1982., ..., 1997., 1998., 1999.]], dtype=F64, shape=[100, 20])");
        assertThat(Tensor.arange(DType.F32, 1000).toString()).doesNotContain("...");
        assertThat(Tensor.arange(DType.F32, 1001).toString()).contains("...");
    }

    @Test
    void decimalPointDoesNotDependOnTheLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertThat(Tensor.of(0.5, 1e-6).toString()).isEqualTo("tensor([5.0000e-01, 1.0000e-06], dtype=F64)");
            assertThat(Tensor.of(0.5).toString()).isEqualTo("tensor([0.5000], dtype=F64)");
        } finally {
            Locale.setDefault(saved);
        }
    }
}
