package kfac4j.examples.tasks;

import java.io.IOException;

import kfac4j.examples.data.CharCorpus;
import kfac4j.examples.data.Split;
import kfac4j.examples.data.SyntheticLanguage;
import kfac4j.kfac.Approximation;
import kfac4j.nn.TransformerLM;
import kfac4j.tensor.DType;
import kfac4j.tensor.Rng;

/**
 * {@code lm}: next-character prediction with a causal pre-LayerNorm transformer — the paper's K-FAC-expand setting
 * (Eschenhagen et al., Sec. 3.1 and the language-model experiments of Sec. 4): every linear layer is shared over the
 * tokens and the loss has one term per token. Trains on the built-in synthetic language, or on any UTF-8 text file
 * ({@code --data file.txt}); the last 10% of the text validates. The metric is next-character accuracy; the loss is in
 * nats per character.
 */
public final class LanguageModelTask extends BatchTask {
    static final Recipe RECIPE = new Recipe(1000, 32, 0.1, 1e-2, 0.1, 1e-3);
    /** Validation windows (non-overlapping), enough for a stable estimate at a fraction of a training step's cost. */
    private static final int VALIDATION_WINDOWS = 64;

    private final String description;

    public LanguageModelTask(TaskOptions options) throws IOException {
        this(options, corpus(options));
    }

    private LanguageModelTask(TaskOptions options, CharCorpus corpus) {
        this(options, corpus, corpus.split(0.1), options.tiny() ? 8 : 64);
    }

    private LanguageModelTask(TaskOptions options, CharCorpus corpus, Split<CharCorpus> parts, int length) {
        super(network(corpus.vocabulary().size(), length, options.tiny(), new Rng(options.seed())),
                parts.train().windows(length, 1, DType.F32), parts.validation().windows(length, length, DType.F32),
                options.batchSize(RECIPE, Integer.MAX_VALUE), VALIDATION_WINDOWS, options.seed());
        int d = options.tiny() ? 8 : 64;
        this.description = "causal transformer (width " + d + ", " + (options.tiny() ? "1 block" : "2 blocks") + ", context " + length
                + ") on " + (options.data() == null ? "the synthetic language" : options.data().toString()) + ", "
                + corpus.length() + " characters over " + corpus.vocabulary().size() + " symbols";
    }

    private static CharCorpus corpus(TaskOptions options) throws IOException {
        if (options.data() != null) return CharCorpus.load(options.data());
        return SyntheticLanguage.corpus(options.tiny() ? 400 : 200_000, options.seed());
    }

    private static TransformerLM network(int vocabulary, int length, boolean tiny, Rng rng) {
        int d = tiny ? 8 : 64;
        return new TransformerLM(vocabulary, d, tiny ? 2 : 4, 4 * d, tiny ? 1 : 2, length, DType.F32, rng);
    }

    @Override
    public String name() {
        return "lm";
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Approximation setting() {
        return Approximation.EXPAND;
    }

    @Override
    public Recipe recipe() {
        return RECIPE;
    }
}
