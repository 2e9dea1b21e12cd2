package kfac4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/** The backward pass itself: seeds, repeated passes, accumulation, hooks, scopes, deep graphs and misuse. */
class BackpropTest {
    private final Rng rng = new Rng(7);

    private Tensor randn(int... shape) {
        return rng.normal(DType.F64, 0, 1, shape);
    }

    private static Variable c(Tensor t) {
        return Variable.constant(t);
    }

    private static double[] flat(Tensor t) {
        return t.toDoubleArray();
    }

    @Test
    void seededBackwardsWithKeptGraphAreTheRowsOfTheJacobian() {
        // y = tanh(W x) for a 3×4 W: J_y,x = diag(1 − y²) W, written out by hand.
        Tensor w = randn(3, 4), x0 = randn(4);
        Variable x = Variable.leaf(x0);
        Variable y = c(w).matmul(x).tanh();
        double[] yv = flat(y.value());
        for (int r = 0; r < 3; r++) {
            Tensor seed = Tensor.zeros(DType.F64, 3).add(Tensor.of(r == 0 ? 1 : 0, r == 1 ? 1 : 0, r == 2 ? 1 : 0));
            x.zeroGrad();
            y.backward(seed, true);
            double[] row = flat(x.grad());
            for (int j = 0; j < 4; j++) {
                assertThat(row[j]).isCloseTo((1 - yv[r] * yv[r]) * w.get(r, j), org.assertj.core.data.Offset.offset(1e-15));
            }
        }
        // ExactCurvature's Jacobian is the same rows, and matches central differences independently.
        Tensor j = ExactCurvature.jacobian(y, List.of(x));
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 4; k++) {
                double h = 1e-6;
                double[] p = flat(x0), m = flat(x0);
                p[k] += h;
                m[k] -= h;
                double fd = (flat(c(w).matmul(c(Tensor.of(p))).tanh().value())[r]
                        - flat(c(w).matmul(c(Tensor.of(m))).tanh().value())[r]) / (2 * h);
                assertThat(j.get(r, k)).isCloseTo(fd, org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    @Test
    void rulesAreToldWhetherTheGraphIsKeptForAnotherPass() {
        List<Boolean> kept = new ArrayList<>();
        Variable x = Variable.leaf(Tensor.of(1, 2));
        Variable y = Node.record("probe", x.value().mul(2), new Variable[]{x}, (g, o, n) -> {
            kept.add(Grad.isGraphKept());
            return new Variable[]{g.mul(2)};
        });
        y.backward(Tensor.of(1, 1), true);
        Grad.grad(y, Tensor.of(1, 1), List.of(x), true, false);
        y.backward(Tensor.of(1, 1), false);
        assertThat(kept).containsExactly(true, true, false);
        assertThat(Grad.isGraphKept()).isFalse();
    }

    @Test
    void geluGradientIsTheSameInEveryPassOverAKeptGraph() {
        // The first pass over a kept graph keeps GELU'(x) for the next; every pass must agree, to the bit, with the
        // fused rule of a pass that frees the graph.
        Tensor x0 = randn(5, 7), seed1 = randn(5, 7), seed2 = randn(5, 7);
        for (DType dt : new DType[]{DType.F64, DType.F32}) {
            Variable fresh1 = Variable.leaf(x0.to(dt)), fresh2 = Variable.leaf(x0.to(dt));
            fresh1.gelu().backward(seed1.to(dt), false);
            fresh2.gelu().backward(seed2.to(dt), false);
            Variable x = Variable.leaf(x0.to(dt));
            Variable y = x.gelu();
            for (int pass = 0; pass < 2; pass++) {
                assertThat(flat(Grad.grad(y, seed1.to(dt), List.of(x), true, false).get(0).value()))
                        .containsExactly(flat(fresh1.grad()));
                assertThat(flat(Grad.grad(y, seed2.to(dt), List.of(x), true, false).get(0).value()))
                        .containsExactly(flat(fresh2.grad()));
            }
        }
    }

    @Test
    void gradientsAccumulateOverBackwardCallsUntilZeroed() {
        Variable x = Variable.leaf(Tensor.of(1, 2, 3));
        x.square().sum().backward();
        x.mul(c(Tensor.of(10, 20, 30))).sum().backward();
        assertThat(flat(x.grad())).containsExactly(12, 24, 36);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
        x.sum().backward();
        assertThat(flat(x.grad())).containsExactly(1, 1, 1);
        // Within one pass, a variable used twice gets the sum of both paths.
        Variable y = Variable.leaf(Tensor.of(3));
        y.mul(y).add(y).sum().backward();
        assertThat(flat(y.grad())).containsExactly(7);
    }

    @Test
    void keptGraphRunsAgainWithAnotherSeed() {
        Variable x = Variable.leaf(Tensor.of(1, 2));
        Variable y = x.exp();
        y.backward(Tensor.of(1, 0), true);
        y.backward(Tensor.of(0, 2), true);
        assertThat(x.grad().allClose(Tensor.of(Math.E, 2 * Math.exp(2)), 1e-15, 0)).isTrue();
    }

    @Test
    void leafGradientsOwnTheirStorage() {
        // add hands one tensor to both inputs and sum a broadcast view; neither may leak into a leaf's grad.
        Variable a = Variable.leaf(Tensor.of(1, 2)), b = Variable.leaf(Tensor.of(3, 4));
        Tensor seed = Tensor.of(5, 6);
        a.add(b).backward(seed);
        assertThat(a.grad().sharesStorageWith(b.grad())).isFalse();
        assertThat(a.grad().sharesStorageWith(seed)).isFalse();
        a.grad().mulInPlace(0);
        assertThat(flat(b.grad())).containsExactly(5, 6);
        assertThat(flat(seed)).containsExactly(5, 6);
        Variable s = Variable.leaf(randn(3, 4));
        s.sum().backward();
        assertThat(s.grad().isContiguous()).isTrue();
        assertThat(flat(s.grad())).containsOnly(1.0);
    }

    @Test
    void hooksSeeTheGradientAndCanReplaceIt() {
        Variable x = Variable.leaf(Tensor.of(1, 2, 3));
        Variable h = x.mul(2);
        Variable y = h.square().sum();                   // dy/dh = 2h = 4x
        List<Tensor> seen = new ArrayList<>();
        Variable.HookHandle handle = h.onGrad(g -> {
            seen.add(g.value());
            return null;                                  // observe only
        });
        y.backward(Tensor.scalar(DType.F64, 1), true);
        assertThat(flat(seen.get(0))).containsExactly(4, 8, 12);
        assertThat(flat(x.grad())).containsExactly(8, 16, 24);
        // A replacing hook changes what flows on; removed hooks no longer run.
        handle.remove();
        h.onGrad(g -> g.mul(0).add(1));
        x.zeroGrad();
        y.backward(Tensor.scalar(DType.F64, 1), true);
        assertThat(seen).hasSize(1);
        assertThat(flat(x.grad())).containsExactly(2, 2, 2);
        // A hook on a leaf replaces what it accumulates; hooks also run in Grad.grad.
        Variable z = Variable.leaf(Tensor.of(1, 2));
        AtomicInteger calls = new AtomicInteger();
        z.onGrad(g -> {
            calls.incrementAndGet();
            return g.mul(10);
        });
        z.square().sum().backward();
        assertThat(flat(z.grad())).containsExactly(20, 40);
        assertThat(flat(Grad.grad(z.square().sum(), Tensor.scalar(DType.F64, 1), List.of(z), false, false).get(0).value()))
                .containsExactly(20, 40);
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void hookRunsOnceOnTheTotalGradientOfAVariableUsedTwice() {
        Variable x = Variable.leaf(Tensor.of(1.5));
        Variable h = x.mul(1);
        List<Double> seen = new ArrayList<>();
        h.onGrad(g -> {
            seen.add(g.value().item());
            return g;
        });
        h.mul(h).add(h.mul(3)).sum().backward();       // d/dh (h² + 3h) = 2h + 3 = 6
        assertThat(seen).containsExactly(6.0);
    }

    @Test
    void hookReturningTheWrongShapeIsAnError() {
        Variable x = Variable.leaf(Tensor.of(1, 2));
        Variable h = x.mul(2);
        h.onGrad(g -> g.sum());
        assertThatThrownBy(() -> h.sum().backward())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hook returned shape []").hasMessageContaining("[2]");
    }

    @Test
    void noGradScopeRecordsNothingAndDetachCutsTheGraph() {
        Variable x = Variable.leaf(Tensor.of(1, 2));
        try (var s = Grad.disabled()) {
            Variable y = x.square();
            assertThat(y.requiresGrad()).isFalse();
            assertThat(y.node()).isNull();
            try (var inner = Grad.enabled()) {
                assertThat(x.square().requiresGrad()).isTrue();
            }
            assertThat(Grad.isEnabled()).isFalse();
        }
        assertThat(Grad.isEnabled()).isTrue();
        Variable d = x.square().detach();
        assertThat(d.requiresGrad()).isFalse();
        x.mul(d).sum().backward();                       // d/dx (x · const(x²)) = x²
        assertThat(flat(x.grad())).containsExactly(1, 4);
    }

    @Test
    void tenThousandOpChainBackpropagatesWithoutRecursion() {
        Variable x = Variable.leaf(Tensor.of(0.5));
        Variable y = x;
        int n = 10_000;
        for (int i = 0; i < n; i++) y = y.mul(1.0001).add(0.001);
        y.sum().backward();
        assertThat(x.grad().item()).isCloseTo(Math.pow(1.0001, n), org.assertj.core.data.Offset.offset(1e-9));
        // A wide-and-deep graph too: every step reads the two before it.
        Variable a = Variable.leaf(Tensor.of(1.0)), p = a, q = a;
        for (int i = 0; i < 5_000; i++) {
            Variable r = p.mul(0.5).add(q.mul(0.5));
            q = p;
            p = r;
        }
        p.sum().backward();
        assertThat(a.grad().item()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void gradWithRespectToChosenVariablesSkipsTheRest() {
        Variable w = Variable.leaf(randn(3, 3)), x = Variable.leaf(randn(3));
        Variable h = w.matmul(x).tanh();
        Variable loss = h.matmul(h.exp()).sum();
        List<Variable> g = Grad.grad(loss, Tensor.scalar(DType.F64, 1), List.of(h, x), true, false);
        assertThat(w.grad()).isNull();
        assertThat(x.grad()).isNull();
        // d loss / d h = exp(h) + h ⊙ exp(h)
        Tensor eh = h.value().exp();
        assertThat(g.get(0).value().allClose(eh.add(h.value().mul(eh)), 1e-14, 0)).isTrue();
        // d loss / dx = Wᵀ ((1 − h²) ⊙ dloss/dh)
        Tensor dx = w.value().mT().matmul(h.value().square().rsub(1).mul(g.get(0).value()));
        assertThat(g.get(1).value().allClose(dx, 1e-13, 1e-15)).isTrue();
        // An unused variable gets zeros.
        Variable unused = Variable.leaf(randn(2));
        assertThat(flat(Grad.grad(loss, Tensor.scalar(DType.F64, 1), List.of(unused), true, false).get(0).value()))
                .containsOnly(0.0);
    }

    @Test
    void rulesAreAskedOnlyForTheGradientsThatAreNeeded() {
        List<String> asked = new ArrayList<>();
        Variable a = Variable.leaf(Tensor.of(1, 2)), b = Variable.leaf(Tensor.of(3, 4));
        Variable k = Variable.constant(Tensor.of(5, 6));
        Variable y = Node.record("probe", a.value().mul(b.value()).mul(k.value()), new Variable[]{a, b, k},
                (g, o, n) -> {
                    asked.add(n[0] + "," + n[1] + "," + n[2]);
                    return new Variable[]{n[0] ? g.mul(b).mul(k) : null, n[1] ? g.mul(a).mul(k) : null, null};
                });
        Grad.grad(y, Tensor.of(1, 1), List.of(b), true, false);
        y.backward(Tensor.of(1, 1));
        assertThat(asked).containsExactly("false,true,false", "true,true,false");
        assertThat(flat(a.grad())).containsExactly(15, 24);
    }

    @Test
    void doubleBackwardGivesHessianVectorProducts() {
        // f = Σ x³ → ∇f = 3x², H = diag(6x); Hv = 6x ⊙ v.
        Variable x = Variable.leaf(Tensor.of(1, -2, 0.5));
        Variable f = x.pow(3).sum();
        Variable g = Grad.grad(f, Tensor.scalar(DType.F64, 1), List.of(x), false, true).get(0);
        assertThat(g.requiresGrad()).isTrue();
        Tensor v = Tensor.of(1, 2, 3);
        Tensor hv = Grad.grad(g, v, List.of(x), false, false).get(0).value();
        assertThat(flat(hv)).containsExactly(6, -24, 9);
    }

    // ---------------------------------------------------------------- misuse: each error says what happened

    @Test
    void secondBackwardWithoutKeepingTheGraphIsAnError() {
        Variable x = Variable.leaf(Tensor.of(1, 2));
        Variable y = x.exp().sum();
        y.backward();
        assertThatThrownBy(y::backward)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a second time").hasMessageContaining("keepGraph=true");
        // The freed graph no longer holds its inputs.
        assertThat(y.node().inputs()).isEmpty();
    }

    @Test
    void backwardOfANonScalarWithoutASeedIsAnError() {
        Variable y = Variable.leaf(Tensor.of(1, 2)).mul(2);
        assertThatThrownBy(y::backward)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shape [2]").hasMessageContaining("backward(seed)");
    }

    @Test
    void seedOfTheWrongShapeIsAnError() {
        Variable y = Variable.leaf(randn(2, 3)).mul(2);
        assertThatThrownBy(() -> y.backward(Tensor.zeros(DType.F64, 3, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seed of shape [3, 2]").hasMessageContaining("output's shape [2, 3]");
    }

    @Test
    void backwardOfSomethingThatNeedsNoGradientIsAnError() {
        Variable y = Variable.constant(Tensor.of(1.0)).mul(2);
        assertThatThrownBy(() -> y.sum().backward())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not require a gradient");
    }

    @Test
    void inPlaceChangeOfASavedInputIsDetected() {
        Tensor w = Tensor.of(1, 2, 3);
        Variable x = Variable.leaf(w);
        Variable y = x.mul(x).sum();
        w.addScaledInPlace(1, Tensor.of(1, 1, 1));          // e.g. an optimizer step before backward
        assertThatThrownBy(y::backward)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'mul'").hasMessageContaining("modified in place")
                .hasMessageContaining("input 0").hasMessageContaining("[3]");
    }

    @Test
    void inPlaceChangeOfASavedOutputOrMaskIsDetected() {
        Variable x = Variable.leaf(Tensor.of(1, 2));
        Variable e = x.exp();                                  // exp's rule reads its output
        e.value().mulInPlace(2);
        assertThatThrownBy(() -> e.backward(Tensor.of(1, 1)))
                .hasMessageContaining("'exp'").hasMessageContaining("its output");
        Tensor mask = Tensor.of(1, 0);
        Variable z = Variable.leaf(Tensor.of(1, 2));
        Variable m = Variable.where(mask, z, z.mul(3)).sum();
        mask.fillInPlace(0);
        assertThatThrownBy(m::backward).hasMessageContaining("'where'").hasMessageContaining("saved tensor 0");
    }

    @Test
    void badAxesAndIndicesNameTheOperation() {
        Variable x = Variable.leaf(randn(2, 3));
        assertThatThrownBy(() -> x.sum(new int[]{2}, false)).hasMessageContaining("sum").hasMessageContaining("2");
        assertThatThrownBy(() -> x.select(1, 3)).hasMessageContaining("select").hasMessageContaining("3");
        assertThatThrownBy(() -> Variable.leaf(Tensor.scalar(DType.F64, 1)).sum(new int[]{0}, false))
                .hasMessageContaining("sum").hasMessageContaining("axis 0");
        assertThatThrownBy(() -> x.setGrad(Tensor.zeros(DType.F64, 3)))
                .hasMessageContaining("setGrad").hasMessageContaining("[3]").hasMessageContaining("[2, 3]");
    }
}
