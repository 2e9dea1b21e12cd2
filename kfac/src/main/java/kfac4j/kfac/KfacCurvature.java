package kfac4j.kfac;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import kfac4j.autograd.Variable;
import kfac4j.nn.Loss;
import kfac4j.nn.LossNode;
import kfac4j.nn.Module;
import kfac4j.tensor.Rng;
import kfac4j.tensor.SafeTensors;
import kfac4j.tensor.Tensor;

/**
 * K-FAC as a linear operator over a data set (DESIGN.md §5.4), for analysis and the Laplace approximation: the
 * factors of every weight-sharing layer, {@code matvec}, damped {@code inverse} and {@code logdet}, the dense matrix
 * (for tests), and export of the factors to safetensors.
 *
 * <pre>{@code
 * var curvature = KfacCurvature.over(model, loss, batches)
 *         .approximation(Approximation.REDUCE).fisher(FisherType.TYPE2).compute();
 * KroneckerFactors f = curvature.factors("fc1");
 * Tensor step = curvature.inverse(1e-3).apply(curvature.gradients());
 * }</pre>
 *
 * <p>The operator is block diagonal over layers. Its vectors concatenate, layer after layer in model order, each
 * layer's row-major {@code vec([W b])}; the block of a layer is {@code G ⊗ A} (or EKFAC's refitted operator).
 */
public final class KfacCurvature {
    /** One batch of a data set: the model input and the loss target. */
    public record Batch(Tensor input, Tensor target) {
    }

    private final List<KfacLayer> layers;
    private final Map<String, KroneckerFactors> factors;
    private final Map<String, LayerCurvature> blocks;
    private final Map<String, Integer> offsets = new LinkedHashMap<>();
    private final int dim;

    private KfacCurvature(List<KfacLayer> layers, Map<String, KroneckerFactors> factors, Map<String, LayerCurvature> blocks) {
        this.layers = layers;
        this.factors = factors;
        this.blocks = blocks;
        int offset = 0;
        for (KfacLayer l : layers) {
            offsets.put(l.name(), offset);
            offset += l.size();
        }
        this.dim = offset;
    }

    /** The curvature of {@code loss(model.forward(input), target)} summed (or averaged, as the loss) over batches. */
    public static Builder over(Module model, Loss loss, Iterable<Batch> data) {
        Iterable<Supplier<Variable>> lazy = () -> {
            var it = data.iterator();
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Supplier<Variable> next() {
                    Batch b = it.next();
                    return () -> loss.apply(model.forward(Variable.constant(b.input())), b.target());
                }
            };
        };
        return new Builder(model, lazy);
    }

    /**
     * The curvature over batches given as computations of their loss: each supplier runs the model's forward pass and
     * returns the variable a {@link Loss} produced (for models whose forward takes more than one input).
     */
    public static Builder overLosses(Module model, Iterable<? extends Supplier<Variable>> losses) {
        return new Builder(model, losses);
    }

    /**
     * Options of {@link #over}, those of {@link CurvatureOptions} with the type-2 Fisher by default; {@link #compute()}
     * runs the passes.
     */
    public static final class Builder extends CurvatureOptions<Builder> {
        private final Module model;
        private final Iterable<? extends Supplier<Variable>> losses;

        private Builder(Module model, Iterable<? extends Supplier<Variable>> losses) {
            super(FisherType.TYPE2);
            this.model = model;
            this.losses = losses;
        }

        public KfacCurvature compute() {
            List<KfacLayer> all = KfacLayer.discover(model, approximation, perLayer());
            if (all.isEmpty()) {
                throw new IllegalArgumentException("KfacCurvature: the model has no weight-sharing linear layer");
            }
            CurvatureCapture capture = new CurvatureCapture(all);
            capture.attach();
            try {
                KroneckerStatistics stats = new KroneckerStatistics(all, fisher);
                sweep(stats, capture);
                Map<String, KroneckerFactors> factors = stats.factors();
                Map<String, LayerCurvature> blocks = new LinkedHashMap<>(factors);
                if (eigenvalueCorrection) {
                    Map<String, KroneckerEigenbasis> bases = new LinkedHashMap<>();
                    for (Map.Entry<String, KroneckerFactors> e : factors.entrySet()) {
                        bases.put(e.getKey(), e.getValue().eigenbasis());
                    }
                    KroneckerStatistics corrections = new KroneckerStatistics(all, fisher);
                    corrections.correctIn(bases);
                    sweep(corrections, capture);
                    blocks.putAll(corrections.corrected());
                }
                List<KfacLayer> used = new ArrayList<>();
                for (KfacLayer l : all) if (factors.containsKey(l.name())) used.add(l);
                return new KfacCurvature(used, factors, blocks);
            } finally {
                capture.detach();
            }
        }

        private void sweep(KroneckerStatistics stats, CurvatureCapture capture) {
            Rng rng = new Rng(seed);
            int batches = 0;
            for (Supplier<Variable> batch : losses) {
                capture.clear();
                LossNode node = FisherPasses.lossNode("KfacCurvature", batch.get());
                stats.beginBatch(node);
                FisherPasses.run(node, fisher, samples, rng, capture, (g, w) -> stats.addPass(capture, g, w));
                stats.addInputs(capture, null);
                batches++;
            }
            capture.clear();
            if (batches == 0) throw new IllegalArgumentException("KfacCurvature: the data set has no batches");
        }
    }

    // ---------------------------------------------------------------- the operator

    /** The layers with a block, in model order (the order of the operator's vectors). */
    public List<String> layers() {
        List<String> names = new ArrayList<>();
        for (KfacLayer l : layers) names.add(l.name());
        return Collections.unmodifiableList(names);
    }

    /** The K-FAC factors of one layer. */
    public KroneckerFactors factors(String layer) {
        KroneckerFactors f = factors.get(layer);
        if (f == null) throw unknown(layer);
        return f;
    }

    /** The block of one layer: its {@link KroneckerFactors}, or with EKFAC its {@link EigenCorrectedFactors}. */
    public LayerCurvature block(String layer) {
        LayerCurvature b = blocks.get(layer);
        if (b == null) throw unknown(layer);
        return b;
    }

    private IllegalArgumentException unknown(String layer) {
        return new IllegalArgumentException("KfacCurvature: no layer named '" + layer + "'; layers: " + layers());
    }

    /** The length of the operator's vectors: Σ over layers of D_out·D_in'. */
    public int dim() {
        return dim;
    }

    /** Where layer {@code name}'s {@code vec([W b])} starts in the operator's vectors. */
    public int offset(String layer) {
        Integer o = offsets.get(layer);
        if (o == null) throw unknown(layer);
        return o;
    }

    /** The operator applied to a vector of length {@link #dim()}. */
    public Tensor matvec(Tensor v) {
        return blockwise("matvec", v, (l, m) -> blocks.get(l.name()).matvec(m));
    }

    /** The block-diagonal operator as a dense dim × dim matrix. */
    public Tensor dense() {
        Tensor out = null;
        for (KfacLayer l : layers) {
            Tensor b = blocks.get(l.name()).dense();
            if (out == null) out = Tensor.zeros(b.dtype(), dim, dim);
            int o = offsets.get(l.name());
            out.narrow(0, o, l.size()).narrow(1, o, l.size()).copyFromInPlace(b);
        }
        return out;
    }

    /** The exactly damped inverse, {@code (F + λI)⁻¹} block by block. */
    public Inverse inverse(double damping) {
        return inverse(damping, DampingMode.EXACT);
    }

    public Inverse inverse(double damping, DampingMode mode) {
        Map<String, DampedInverse> inverses = new LinkedHashMap<>();
        for (KfacLayer l : layers) inverses.put(l.name(), blocks.get(l.name()).inverse(damping, mode));
        return new Inverse(inverses);
    }

    /** {@code log det(F + λI)}, the sum over blocks. */
    public double logdet(double damping) {
        return logdet(damping, DampingMode.EXACT);
    }

    public double logdet(double damping, DampingMode mode) {
        double sum = 0;
        for (KfacLayer l : layers) sum += blocks.get(l.name()).logdet(damping, mode);
        return sum;
    }

    /** The gradients now accumulated in the layers' parameters, as one vector in this operator's layout. */
    public Tensor gradients() {
        Tensor[] parts = new Tensor[layers.size()];
        for (int i = 0; i < parts.length; i++) {
            KfacLayer l = layers.get(i);
            Tensor g = l.gradient();
            parts[i] = (g == null ? l.value().zerosLike() : g).reshape(-1);
        }
        return Tensor.concat(0, parts);
    }

    /**
     * Writes the factors to a safetensors file as {@code <layer>.A} and {@code <layer>.G} (F32 or F64, as computed),
     * with each layer's approximation in the metadata as {@code <layer>.approximation}; the write is atomic.
     */
    public void save(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (KfacLayer l : layers) {
            tensors.put(l.name() + ".A", factors.get(l.name()).a());
            tensors.put(l.name() + ".G", factors.get(l.name()).g());
            metadata.put(l.name() + ".approximation", l.approximation().name().toLowerCase(java.util.Locale.ROOT));
        }
        SafeTensors.write(file, tensors, metadata);
    }

    /** A damped inverse of the whole operator, inverted once and applied to many vectors. */
    public final class Inverse {
        private final Map<String, DampedInverse> inverses;

        private Inverse(Map<String, DampedInverse> inverses) {
            this.inverses = inverses;
        }

        /** Applied to a vector of length {@link #dim()}. */
        public Tensor apply(Tensor v) {
            return blockwise("inverse", v, (l, m) -> inverses.get(l.name()).apply(m));
        }

        /** Applied to one layer's matrix {@code [W b]} (D_out, D_in'). */
        public Tensor apply(String layer, Tensor v) {
            DampedInverse inv = inverses.get(layer);
            if (inv == null) throw unknown(layer);
            return inv.apply(v);
        }

        /** Repairs made while inverting (see {@link DampedInverse#notes()}), prefixed by the layer name. */
        public List<String> notes() {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, DampedInverse> e : inverses.entrySet()) {
                for (String n : e.getValue().notes()) out.add(e.getKey() + ": " + n);
            }
            return out;
        }
    }

    private interface BlockOp {
        Tensor apply(KfacLayer layer, Tensor matrix);
    }

    private Tensor blockwise(String op, Tensor v, BlockOp f) {
        if (v.rank() != 1 || v.size(0) != dim) {
            throw new IllegalArgumentException("KfacCurvature." + op + ": expected a vector of length " + dim
                    + " (layers " + layers() + "), got shape " + java.util.Arrays.toString(v.shape()));
        }
        Tensor[] parts = new Tensor[layers.size()];
        for (int i = 0; i < parts.length; i++) {
            KfacLayer l = layers.get(i);
            Tensor m = v.narrow(0, offsets.get(l.name()), l.size()).reshape(l.outputDim(), l.inputDim());
            parts[i] = f.apply(l, m).reshape(-1);
        }
        return Tensor.concat(0, parts);
    }
}
