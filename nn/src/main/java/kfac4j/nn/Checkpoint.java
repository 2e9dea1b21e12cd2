package kfac4j.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import kfac4j.tensor.SafeTensors;
import kfac4j.tensor.Tensor;

/**
 * Model weights and optimizer state in safetensors files, written atomically (a temporary file, forced to disk, then
 * renamed over the old one), so a crash or a failed write never leaves a half-written checkpoint and the previous one
 * survives.
 *
 * <ul>
 *   <li>{@link #saveWeights}/{@link #loadWeights}: the state dict under its own names, exactly what PyTorch's
 *       {@code safetensors.torch.save_file(model.state_dict(), path)} writes and reads, so weights move both ways.</li>
 *   <li>{@link #save}/{@link #load}: model and optimizer together, under {@code model.} and {@code optimizer.}
 *       prefixes, to resume training exactly.</li>
 * </ul>
 * Loading checks everything before changing anything: a corrupt or truncated file, or missing, unexpected or
 * mis-shaped keys, fail with a message naming them and leave the model and optimizer as they were.
 */
public final class Checkpoint {
    private static final String MODEL = "model.", OPTIMIZER = "optimizer.";

    private Checkpoint() {
    }

    /** Writes the model's state dict, as PyTorch names it. */
    public static void saveWeights(Path file, Module model) throws IOException {
        SafeTensors.write(file, model.stateDict(), Map.of("format", "pt"));
    }

    /** Loads a state dict written by {@link #saveWeights} or by PyTorch; every key must match (see {@link Module#loadStateDict}). */
    public static void loadWeights(Path file, Module model) throws IOException {
        Map<String, Tensor> state = SafeTensors.read(file).tensors();
        try {
            model.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the model's state dict and the optimizer's state into one file. */
    public static void save(Path file, Module model, Optimizer optimizer) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) all.put(MODEL + e.getKey(), e.getValue());
        for (Map.Entry<String, Tensor> e : optimizer.stateDict().entrySet()) all.put(OPTIMIZER + e.getKey(), e.getValue());
        SafeTensors.write(file, all, Map.of("format", "kfac4j-checkpoint", "optimizer", optimizer.getClass().getSimpleName()));
    }

    /** Restores a file written by {@link #save} into a model of the same architecture and an optimizer of the same kind. */
    public static void load(Path file, Module model, Optimizer optimizer) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        Map<String, Tensor> modelState = new LinkedHashMap<>(), optimizerState = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : st.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) modelState.put(k.substring(MODEL.length()), e.getValue());
            else if (k.startsWith(OPTIMIZER)) optimizerState.put(k.substring(OPTIMIZER.length()), e.getValue());
            else throw new IllegalArgumentException(file + ": key '" + k + "' is neither model. nor optimizer. state");
        }
        String saved = st.metadata().get("optimizer");
        if (saved != null && !saved.equals(optimizer.getClass().getSimpleName())) {
            throw new IllegalArgumentException(file + ": holds " + saved + " state, not " + optimizer.getClass().getSimpleName());
        }
        // Both loads check before they change anything; if the model's fails, the optimizer's is undone.
        Map<String, Tensor> previous = optimizer.stateDict();
        try {
            optimizer.loadStateDict(optimizerState);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": optimizer " + e.getMessage(), e);
        }
        try {
            model.loadStateDict(modelState);
        } catch (IllegalArgumentException e) {
            optimizer.loadStateDict(previous);
            throw new IllegalArgumentException(file + ": model " + e.getMessage(), e);
        }
    }
}
