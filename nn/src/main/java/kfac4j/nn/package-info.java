/**
 * Layers, losses, optimizers and checkpoints, shaped like PyTorch's {@code torch.nn} and {@code torch.optim}
 * (DESIGN.md §4).
 *
 * <pre>{@code
 * var rng = new Rng(0);
 * var model = new Sequential(new Linear(784, 256, rng), new ReLU(), new Linear(256, 10, rng));
 * var loss = new CrossEntropyLoss(Reduction.MEAN);
 * var opt = new Adam(model.parameters(), 1e-3);
 * for (int step = 0; step < steps; step++) {
 *     opt.zeroGrad();
 *     Variable l = loss.apply(model.forward(Variable.constant(x)), y);
 *     l.backward();
 *     opt.step();
 * }
 * }</pre>
 *
 * <p>The central idea is the {@link kfac4j.nn.WeightSharingLinear weight-sharing linear layer}: one weight applied
 * to every row of its input, the rows grouped by example — tokens ({@link kfac4j.nn.Linear} over (N, T, D), the
 * attention projections), output positions ({@link kfac4j.nn.Conv2d}, whose rows are patches), patches
 * ({@link kfac4j.nn.PatchEmbedding}) or the nodes of graphs of different sizes ({@link kfac4j.nn.GCNConv}). With a
 * {@link kfac4j.nn.CaptureListener} set, such a layer reports its input rows and the gradient with respect to its
 * output rows, which is all K-FAC needs (DESIGN.md §5.1); without one it does nothing extra.
 *
 * <p>State-dict names are PyTorch's ({@code blocks.0.qkv.weight}), so {@link kfac4j.nn.Checkpoint} moves weights to and
 * from PyTorch through safetensors files. A note for {@code import kfac4j.nn.*}: {@code Module} then clashes with
 * {@code java.lang.Module}; import {@code kfac4j.nn.Module} by name.
 */
package kfac4j.nn;
