package kfac4j.kfac;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import kfac4j.nn.Module;
import kfac4j.nn.Parameter;
import kfac4j.nn.WeightSharingLinear;
import kfac4j.tensor.Tensor;

/**
 * A weight-sharing linear layer that K-FAC preconditions: its name in the model (as {@link Module#namedModules()}
 * gives it), the layer, and the approximation chosen for it. Its parameters are handled jointly as the matrix
 * {@code [W b]} of shape (D_out, D_in'), {@code D_in' = D_in + 1} with a bias (DESIGN.md §5.1).
 */
public record KfacLayer(String name, WeightSharingLinear layer, Approximation approximation) {

    public boolean hasBias() {
        return layer.bias() != null;
    }

    /** D_out. */
    public int outputDim() {
        return layer.outFeatures();
    }

    /** D_in', the columns of {@code [W b]}. */
    public int inputDim() {
        return layer.inFeatures() + (hasBias() ? 1 : 0);
    }

    /** The number of parameters, D_out·D_in'. */
    public int size() {
        return outputDim() * inputDim();
    }

    /** {@code [W b]} from a weight (D_out, D_in) and a bias (D_out) or null. */
    public Tensor join(Tensor weight, Tensor bias) {
        if (!Arrays.equals(weight.shape(), new int[]{outputDim(), layer.inFeatures()})) {
            throw new IllegalArgumentException(name + ": weight-shaped tensor must be [" + outputDim() + ", "
                    + layer.inFeatures() + "], got " + Arrays.toString(weight.shape()));
        }
        if (!hasBias()) return weight;
        if (bias == null || !Arrays.equals(bias.shape(), new int[]{outputDim()})) {
            throw new IllegalArgumentException(name + ": bias-shaped tensor must be [" + outputDim() + "], got "
                    + (bias == null ? "none" : Arrays.toString(bias.shape())));
        }
        return Tensor.concat(1, weight, bias.reshape(outputDim(), 1));
    }

    /** The weight part of {@code [W b]}: the first D_in columns (a view). */
    public Tensor weightPart(Tensor joint) {
        return joint.narrow(1, 0, layer.inFeatures());
    }

    /** The bias part of {@code [W b]}: its last column (a view), or null without a bias. */
    public Tensor biasPart(Tensor joint) {
        return hasBias() ? joint.select(1, layer.inFeatures()) : null;
    }

    /** The accumulated gradient as {@code [∇W ∇b]}, or null when a backward pass has not reached the layer. */
    public Tensor gradient() {
        Tensor gw = layer.weight().grad();
        if (gw == null) return null;
        Tensor gb = hasBias() ? layer.bias().grad() : null;
        if (hasBias() && gb == null) gb = layer.bias().value().zerosLike();
        return join(gw, gb);
    }

    /** The current parameter values as {@code [W b]}. */
    public Tensor value() {
        return join(layer.weight().value(), hasBias() ? layer.bias().value() : null);
    }

    /** The layer's parameters: weight, then bias if any. */
    public List<Parameter> parameters() {
        return hasBias() ? List.of(layer.weight(), layer.bias()) : List.of(layer.weight());
    }

    /**
     * Every distinct weight-sharing linear layer of a model, named as in {@link Module#namedModules()} (the first
     * name of a module registered twice), with the approximation of {@code perLayer} or else {@code fallback}.
     * Names in {@code perLayer} that are not such layers are rejected, with the valid names listed.
     */
    static List<KfacLayer> discover(Module model, Approximation fallback, Map<String, Approximation> perLayer) {
        List<KfacLayer> out = new ArrayList<>();
        Set<WeightSharingLinear> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, WeightSharingLinear> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof WeightSharingLinear l && seen.add(l)) byName.put(e.getKey(), l);
        }
        for (String name : perLayer.keySet()) {
            if (!byName.containsKey(name)) {
                throw new IllegalArgumentException("K-FAC: no weight-sharing linear layer named '" + name
                        + "'; the model's layers are " + byName.keySet());
            }
        }
        for (Map.Entry<String, WeightSharingLinear> e : byName.entrySet()) {
            out.add(new KfacLayer(e.getKey(), e.getValue(), perLayer.getOrDefault(e.getKey(), fallback)));
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " [" + outputDim() + "×" + inputDim() + ", " + approximation.name().toLowerCase() + "]";
    }
}
