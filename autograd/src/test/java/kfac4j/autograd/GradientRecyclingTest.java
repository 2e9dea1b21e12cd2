package kfac4j.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import kfac4j.tensor.DType;
import kfac4j.tensor.Recycler;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;

/**
 * The backward pass releases the gradients it has finished with, for later allocations to reuse. The tests run with
 * every array recycled and arrays handed out for overwriting filled with NaN (see the parent pom), so a gradient
 * released while still referenced shows up here as an exception or as wrong or NaN values.
 */
class GradientRecyclingTest {
    private final Rng rng = new Rng(11);

    private Tensor randn(int... shape) {
        return rng.normal(DType.F64, 0, 1, shape);
    }

    /**
     * A graph where gradients are shared and aliased: x feeds two branches, x + x hands one tensor to both inputs of
     * the add, reshape and transpose pass views of their gradient on, a sum broadcasts it, and a product and a ReLU
     * allocate fresh ones.
     */
    private static Variable loss(Variable x, Variable w) {
        Variable h = x.matmul(w).relu();
        Variable twice = h.add(h);
        Variable v = twice.reshape(-1).reshape(3, 5).transpose(0, 1);
        Variable t = x.mul(x).sum(new int[]{1}, true);
        return v.sum().add(t.mul(h.sum(new int[]{1}, true)).sum()).add(x.tanh().sum());
    }

    @Test
    void gradientsWithRecyclingHaveTheBitsOfAPassThatRecyclesNothing() {
        Tensor x0 = randn(3, 4), w0 = randn(4, 5);
        Variable x = Variable.leaf(x0), w = Variable.leaf(w0);
        loss(x, w).backward();
        // A pass that records the graph of its gradients releases nothing: the same rules, the same bits.
        Variable x2 = Variable.leaf(x0), w2 = Variable.leaf(w0);
        List<Variable> g = Grad.grad(loss(x2, w2), Tensor.scalar(DType.F64, 1), List.of(x2, w2), true, true);
        assertThat(x.grad().toDoubleArray()).containsExactly(g.get(0).value().toDoubleArray());
        assertThat(w.grad().toDoubleArray()).containsExactly(g.get(1).value().toDoubleArray());
        assertThat(x.grad().toDoubleArray()).doesNotContain(Double.NaN);
    }

    @Test
    void aGradientARuleKeepsAfterItReturnsIsReleasedAndFailsLoudly() {
        List<Tensor> kept = new ArrayList<>();
        Variable x = Variable.leaf(randn(4, 6));
        // A rule that breaks the contract: it keeps the gradient it was given.
        Variable y = Node.record("keep", x.value().mul(2.0), new Variable[]{x}, (g, out, needs) -> {
            kept.add(g.value());
            return new Variable[]{g.mul(2.0)};
        });
        Variable h = y.exp(); // exp's rule allocates the gradient that reaches "keep"
        h.sum().backward();
        assertThat(Recycler.isReleased(kept.get(0))).isTrue();
        assertThatThrownBy(() -> kept.get(0).get(0, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("recycled");
        assertThat(x.grad().toDoubleArray()).containsExactly(x.value().mul(2.0).exp().mul(2.0).toDoubleArray());
    }

    @Test
    void aGradientReturnedAsItWasGivenLivesUntilItsLastConsumer() {
        List<Tensor> passedOn = new ArrayList<>();
        Variable x = Variable.leaf(randn(4, 6));
        Variable y = x.exp();
        // Identity rules hand their gradient on unchanged, so one storage travels through several nodes.
        Variable z = Node.record("identity", y.value(), new Variable[]{y}, (g, out, needs) -> {
            passedOn.add(g.value());
            return new Variable[]{g};
        });
        Variable v = z.reshape(24).reshape(4, 6);
        v.mul(3.0).sum().backward();
        assertThat(Recycler.isReleased(passedOn.get(0))).isTrue(); // exp's rule consumed it last
        assertThat(x.grad().toDoubleArray()).containsExactly(x.value().exp().mul(3.0).toDoubleArray());
    }

    @Test
    void gradientsSeenByHooksOrWantedOrKeptAsLeafGradsAreNeverReleased() {
        Tensor x0 = randn(3, 4), w0 = randn(4, 5);
        Variable x = Variable.leaf(x0), w = Variable.leaf(w0);
        Variable h = x.matmul(w);
        List<Tensor> seen = new ArrayList<>();
        h.onGrad(g -> {
            seen.add(g.value());
            return null;
        });
        Variable r = h.relu();
        r.onGrad(g -> {
            seen.add(g.value());
            return g.mul(1.0); // a replacement: both the one it saw and the one it returns are kept
        });
        Variable out = r.mul(r).sum();
        out.backward();
        for (Tensor t : seen) assertThat(Recycler.isReleased(t)).isFalse();
        // h's gradient, by hand: 2 r ⊙ [h > 0].
        Tensor hv = x0.matmul(w0), rv = hv.relu();
        assertThat(seen.get(1).toDoubleArray()).containsExactly(rv.mul(2.0).toDoubleArray());
        assertThat(seen.get(0).toDoubleArray()).containsExactly(rv.mul(2.0).wherePositive(hv).toDoubleArray());
        assertThat(x.grad().toDoubleArray()).containsExactly(seen.get(0).matmul(w0.transpose(0, 1)).toDoubleArray());

        Variable x2 = Variable.leaf(x0), w2 = Variable.leaf(w0);
        Variable h2 = x2.matmul(w2);
        List<Variable> wanted = Grad.grad(h2.relu().square().sum(), List.of(h2, x2));
        Tensor fresh = Tensor.zeros(DType.F64, 3, 4).add(1.0); // allocated after the pass, from the pool if anything is there
        assertThat(wanted.get(0).value().toDoubleArray()).containsExactly(seen.get(0).toDoubleArray());
        assertThat(wanted.get(1).value().toDoubleArray()).containsExactly(x.grad().toDoubleArray());
        assertThat(fresh.toDoubleArray()).containsOnly(1.0);
    }

    @Test
    void aPassThatRecordsTheGraphOfItsGradientsReleasesNothing() {
        List<Tensor> kept = new ArrayList<>();
        Variable x = Variable.leaf(randn(5));
        Variable y = Node.record("keep", x.value().mul(2.0), new Variable[]{x}, (g, out, needs) -> {
            kept.add(g.value());
            return new Variable[]{g.mul(2.0)};
        });
        List<Variable> g = Grad.grad(y.exp().sum(), Tensor.scalar(DType.F64, 1), List.of(x), true, true);
        assertThat(Recycler.isReleased(kept.get(0))).isFalse();
        assertThat(kept.get(0).toDoubleArray()).containsExactly(y.value().exp().toDoubleArray());
        // The recorded gradient can be differentiated again: d/dx Σ 2 exp(2x) = 4 exp(2x).
        List<Variable> gg = Grad.grad(g.get(0).sum(), List.of(x));
        assertThat(gg.get(0).value().toDoubleArray()).containsExactly(x.value().mul(2.0).exp().mul(4.0).toDoubleArray());
    }

    /** A node computing {@code 2·in} whose rule records the gradient it was given and the one it returns. */
    private static Variable doubled(Variable in, List<Tensor> given, List<Tensor> returned) {
        return Node.record("doubled", in.value().mul(2.0), new Variable[]{in}, (g, out, needs) -> {
            given.add(g.value());
            Variable r = g.mul(2.0);
            returned.add(r.value());
            return new Variable[]{r};
        });
    }

    @Test
    void reluOverwritesAGradientOnlyWhenThePassHoldsNoOtherReferenceToIt() {
        Tensor x0 = randn(6, 7), z0 = randn(6, 7);
        List<Tensor> below = new ArrayList<>(), above = new ArrayList<>(), unused = new ArrayList<>();
        // Sole reference: the gradient "above" returns is the one ReLU's rule masks in place and hands on.
        Variable x = Variable.leaf(x0);
        Variable r = doubled(doubled(x, below, unused).relu(), unused, above);
        r.exp().sum().backward();
        assertThat(below.get(0).sharesStorageWith(above.get(0))).isTrue();
        Tensor a = x0.mul(2.0), expected = a.relu().mul(2.0).exp().mul(2.0).wherePositive(a).mul(2.0);
        assertThat(x.grad().toDoubleArray()).containsExactly(expected.toDoubleArray());

        // Shared: an add hands one gradient to ReLU's output and to z; ReLU must not mask z's copy.
        below.clear();
        Variable x2 = Variable.leaf(x0), z = Variable.leaf(z0);
        Variable sum = doubled(x2, below, unused).relu().add(z);
        doubled(sum, unused, above).exp().sum().backward();
        Tensor s0 = a.relu().add(z0), gs = s0.mul(2.0).exp().mul(2.0);
        assertThat(z.grad().toDoubleArray()).containsExactly(gs.toDoubleArray());
        assertThat(x2.grad().toDoubleArray()).containsExactly(gs.wherePositive(a).mul(2.0).toDoubleArray());
    }

    @Test
    void aTransientHookLetsThePassRecycleWhatItSawUnlessItKeepsIt() {
        Tensor x0 = randn(5, 3);
        for (boolean keep : new boolean[]{false, true}) {
            Variable x = Variable.leaf(x0);
            Variable h = x.exp();
            List<Tensor> seen = new ArrayList<>();
            h.onGradTransient(g -> {
                seen.add(g.value());
                if (keep) Grad.keep(g.value());
                return null;
            });
            h.tanh().sum().backward(); // tanh's rule allocates h's gradient; exp's rule consumes it
            assertThat(Recycler.isReleased(seen.get(0))).isEqualTo(!keep);
            Tensor th = x0.exp().tanh(), gh = th.mul(th).neg().add(1.0);
            if (keep) assertThat(seen.get(0).toDoubleArray()).containsExactly(gh.toDoubleArray());
            assertThat(x.grad().toDoubleArray()).containsExactly(gh.mul(x0.exp()).toDoubleArray());
        }
    }

    @Test
    void aPassThatOnlyReachesItsTargetsRecyclesTheirGradientsAndRunsTheirHooks() {
        Tensor x0 = randn(5, 3);
        for (boolean reach : new boolean[]{true, false}) {
            // x → exp → h (target, transient hook) → tanh → loss; reach runs h's hook and goes no further than h.
            Variable x = Variable.leaf(x0);
            Variable h = x.exp();
            List<Tensor> seen = new ArrayList<>();
            h.onGradTransient(g -> {
                seen.add(g.value().copy()); // the values, read while the hook runs
                seen.add(g.value());
                return null;
            });
            Variable loss = h.tanh().sum();
            Tensor seed = Tensor.scalar(DType.F64, 1);
            if (reach) Grad.reach(loss, seed, List.of(h), false);
            else assertThat(Grad.grad(loss, seed, List.of(h), false, false).get(0).value()).isSameAs(seen.get(1));
            Tensor th = x0.exp().tanh();
            assertThat(seen.get(0).toDoubleArray()).containsExactly(th.mul(th).neg().add(1.0).toDoubleArray());
            // Reached, the target's gradient is passed to no one and released; wanted, it is returned and kept.
            assertThat(Recycler.isReleased(seen.get(1))).isEqualTo(reach);
            assertThat(x.grad()).isNull(); // neither pass touches a leaf's grad, nor goes below its targets
        }
        assertThatThrownBy(() -> Grad.reach(Variable.leaf(x0).sum(), Tensor.scalar(DType.F64, 1), null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets");
    }
}
