package kfac4j.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;

import kfac4j.autograd.Variable;
import kfac4j.kfac.Approximation;
import kfac4j.kfac.DampingMode;
import kfac4j.kfac.FisherType;
import kfac4j.kfac.KfacCurvature;
import kfac4j.kfac.KfacOptimizer;
import kfac4j.nn.Conv2d;
import kfac4j.nn.CrossEntropyLoss;
import kfac4j.nn.GlobalMeanPool;
import kfac4j.nn.Linear;
import kfac4j.nn.Loss;
import kfac4j.nn.Module;
import kfac4j.nn.ReLU;
import kfac4j.nn.SGD;
import kfac4j.nn.Sequential;
import kfac4j.nn.TransformerLM;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;
import kfac4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What K-FAC costs beside a plain training step, on the {@code cnn_step} and {@code lm_step} models of DESIGN.md §7
 * (F32): one SGD step; the factors of one batch in each flavour (forward, one Monte Carlo backward pass and the
 * factor GEMMs, so the two differ only in the factor products: M rows for expand, N for reduce); the inverses of all
 * factors (eigendecompositions for exact damping, Cholesky for π-damping); and a whole optimizer step with statistics
 * every step and inverses every 10 (so one call in ten pays for the inverses), or statistics every 10 and inverses
 * every 100.
 *
 * <pre>bench/run-jmh KfacBenchmark -p workload=cnn</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-XX:Tier3DelayOn=100000"})
public class KfacBenchmark {
    @Param({"cnn", "lm"})
    public String workload;

    private Module model;
    private Loss loss;
    private Tensor x, y;
    private SGD sgd;
    private KfacCurvature curvature;
    private KfacOptimizer optimizer, sparseOptimizer;

    @Setup(Level.Trial)
    public void setup() {
        Rng rng = new Rng(0);
        loss = new CrossEntropyLoss();
        if (workload.equals("cnn")) {
            // conv3→32 (3×3, pad 1), conv32→64 (stride 2), conv64→64 (stride 2), ReLUs, global mean pool, 64→10; batch 64.
            model = new Sequential(new Conv2d(3, 32, 3, 1, 1, rng), new ReLU(), new Conv2d(32, 64, 3, 2, 1, rng), new ReLU(),
                    new Conv2d(64, 64, 3, 2, 1, rng), new ReLU(), new GlobalMeanPool(), new Linear(64, 10, rng));
            x = rng.normal(DType.F32, 0, 1, 64, 3, 32, 32);
            y = labels(rng, 10, 64);
        } else {
            // Causal LM: vocabulary 64, width 128, 4 heads, MLP 512, 2 blocks; batch 32 of 64 tokens, a loss per token.
            model = new TransformerLM(64, 128, 4, 512, 2, 64, DType.F32, rng);
            x = labels(rng, 64, 32, 64);
            y = labels(rng, 64, 32, 64);
        }
        sgd = new SGD(model.parameters(), 0.01).momentum(0.9);
        curvature = curvature(Approximation.EXPAND);
        optimizer = KfacOptimizer.builder(model).approximation(Approximation.EXPAND).fisher(FisherType.MC)
                .learningRate(1e-3).damping(1e-2).statsEvery(1).inverseEvery(10).log(null).build();
        sparseOptimizer = KfacOptimizer.builder(model).approximation(Approximation.EXPAND).fisher(FisherType.MC)
                .learningRate(1e-3).damping(1e-2).statsEvery(10).inverseEvery(100).log(null).build();
    }

    private static Tensor labels(Rng rng, int classes, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(classes);
        return Tensor.fromArray(v, shape).to(DType.F32);
    }

    private Variable forwardLoss() {
        return loss.apply(model.forward(Variable.constant(x)), y);
    }

    private KfacCurvature curvature(Approximation approximation) {
        return KfacCurvature.overLosses(model, List.of(this::forwardLoss)).approximation(approximation)
                .fisher(FisherType.MC).compute();
    }

    /** The baseline: forward, backward, SGD with momentum. */
    @Benchmark
    public void plainStep() {
        sgd.zeroGrad();
        forwardLoss().backward();
        sgd.step();
    }

    /** Factors of one batch with K-FAC-expand: forward, one MC backward pass, Σ a aᵀ over all M rows. */
    @Benchmark
    public KfacCurvature factorsExpand() {
        return curvature(Approximation.EXPAND);
    }

    /** The same with K-FAC-reduce: the outer products run over the N reduced examples. */
    @Benchmark
    public KfacCurvature factorsReduce() {
        return curvature(Approximation.REDUCE);
    }

    /** Eigendecompositions of every factor (exact Tikhonov damping). */
    @Benchmark
    public KfacCurvature.Inverse inverseExact() {
        return curvature.inverse(1e-3, DampingMode.EXACT);
    }

    /** Cholesky inverses of every π-damped factor. */
    @Benchmark
    public KfacCurvature.Inverse inverseFactored() {
        return curvature.inverse(1e-3, DampingMode.FACTORED);
    }

    /** A whole K-FAC step: forward, MC pass, true backward, factor update, every tenth call the inverses, update. */
    @Benchmark
    public void kfacStep() {
        optimizer.step(forwardLoss());
    }

    /** The same with statistics every 10 steps and inverses every 100, as large-scale K-FAC runs use. */
    @Benchmark
    public void kfacStepSparse() {
        sparseOptimizer.step(forwardLoss());
    }
}
