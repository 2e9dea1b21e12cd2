package kfac4j.examples.tasks;

import java.io.IOException;
import java.util.List;

import kfac4j.autograd.Variable;
import kfac4j.kfac.Approximation;
import kfac4j.nn.Module;

/**
 * One of the papers' experiments at laptop scale: a model built from {@code nn} modules, its training and validation
 * data, and its validation metric. The training loop sees only {@link #nextLoss()} and {@link #evaluate()}, so the
 * same loop drives every task with every optimizer.
 */
public interface Task {
    /** The task names, as {@code ./kfac4j train --task} accepts them. */
    List<String> NAMES = List.of("lm", "vit", "cnn", "gnn-node", "gnn-graph", "mlp");

    /** Builds a task by name, reading {@code options.data()} when it is given. */
    static Task create(String name, TaskOptions options) throws IOException {
        return switch (name) {
            case "lm" -> new LanguageModelTask(options);
            case "vit" -> new VisionTransformerTask(options);
            case "cnn" -> new ConvNetTask(options);
            case "gnn-node" -> new NodeClassificationTask(options);
            case "gnn-graph" -> new GraphClassificationTask(options);
            case "mlp" -> new MlpTask(options);
            default -> throw new IllegalArgumentException("unknown task '" + name + "'; the tasks are: " + String.join(", ", NAMES));
        };
    }

    String name();

    /** One line: the model and the data, with their sizes. */
    String description();

    /**
     * The K-FAC flavour whose setting the task is (DESIGN.md §5.2): {@code EXPAND} where the loss has a term per
     * shared position (tokens, nodes), {@code REDUCE} where the shared axis is pooled before the loss.
     */
    Approximation setting();

    /** The defaults this task trains with (steps, batch size, learning rates, damping). */
    Recipe recipe();

    Module model();

    /** Examples (images, windows, graphs or training nodes) per training batch. */
    int batchSize();

    /** The loss of the next training batch, its graph recorded (for {@code backward()} or a K-FAC step). */
    Variable nextLoss();

    /** The loss and accuracy on the validation set, computed without recording a graph, in evaluation mode. */
    Evaluation evaluate();
}
