package kfac4j.examples.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import kfac4j.tensor.DType;
import kfac4j.tensor.Tensor;

/**
 * A character-level corpus for causal language modelling: the text as token ids over a {@link CharVocabulary}.
 * {@link #windows} cuts it into (input, next-token target) pairs of a fixed length.
 */
public final class CharCorpus {
    private final CharVocabulary vocabulary;
    private final int[] tokens;

    public CharCorpus(CharVocabulary vocabulary, int[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabulary.size()) {
                throw new IllegalArgumentException("CharCorpus: token " + tokens[i] + " at position " + i + " is outside the vocabulary of "
                        + vocabulary.size());
            }
        }
        this.vocabulary = vocabulary;
        this.tokens = tokens;
    }

    /** The corpus of a text, over the text's own characters. */
    public static CharCorpus of(String text) {
        CharVocabulary v = CharVocabulary.of(text);
        return new CharCorpus(v, v.encode(text));
    }

    /** Reads a UTF-8 text file; invalid UTF-8 or a file too short to train on raises a {@link DatasetFormatException}. */
    public static CharCorpus load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DatasetFormatException(file, "is not valid UTF-8 text (" + e.getMessage() + ")", e);
        }
        if (text.codePointCount(0, text.length()) < 2) {
            throw new DatasetFormatException(file, "holds " + text.codePointCount(0, text.length())
                    + " characters; a corpus needs at least 2 (an input and its next character)");
        }
        return of(text);
    }

    public CharVocabulary vocabulary() {
        return vocabulary;
    }

    public int length() {
        return tokens.length;
    }

    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Contiguous parts: the first {@code 1 − validationFraction} of the text for training, the rest for validation,
     * both over this vocabulary. Contiguous, not shuffled: overlapping windows would otherwise leak validation text.
     */
    public Split<CharCorpus> split(double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("CharCorpus.split: the validation fraction must be in (0, 1), got " + validationFraction);
        }
        int cut = (int) Math.round(tokens.length * (1 - validationFraction));
        return new Split<>(new CharCorpus(vocabulary, Arrays.copyOfRange(tokens, 0, cut)),
                new CharCorpus(vocabulary, Arrays.copyOfRange(tokens, cut, tokens.length)));
    }

    /**
     * Windows of {@code length} tokens starting every {@code stride} positions: x = tokens[s, s+length), y =
     * tokens[s+1, s+length+1). Built lazily per batch, so stride 1 costs no memory.
     */
    public Windows windows(int length, int stride, DType dtype) {
        if (length < 1 || stride < 1) {
            throw new IllegalArgumentException("CharCorpus.windows: length and stride must be ≥ 1, got " + length + " and " + stride);
        }
        if (tokens.length < length + 1) {
            throw new IllegalArgumentException("CharCorpus.windows: a corpus of " + tokens.length + " tokens has no window of "
                    + length + " inputs plus a next-token target");
        }
        return new Windows(length, stride, dtype);
    }

    /** Fixed-length (input, next-token target) windows of the corpus; batches have x and y of shape (B, T). */
    public final class Windows implements Dataset<Batch> {
        private final int length;
        private final int stride;
        private final DType dtype;

        private Windows(int length, int stride, DType dtype) {
            this.length = length;
            this.stride = stride;
            this.dtype = dtype;
        }

        public int sequenceLength() {
            return length;
        }

        public int vocabularySize() {
            return vocabulary.size();
        }

        @Override
        public int size() {
            return (tokens.length - length - 1) / stride + 1;
        }

        @Override
        public Batch batch(int[] indices) {
            int n = size();
            double[] x = new double[indices.length * length];
            double[] y = new double[indices.length * length];
            for (int b = 0; b < indices.length; b++) {
                if (indices[b] < 0 || indices[b] >= n) {
                    throw new IndexOutOfBoundsException("CharCorpus.Windows: window " + indices[b] + " outside [0, " + n + ")");
                }
                int start = indices[b] * stride;
                for (int t = 0; t < length; t++) {
                    x[b * length + t] = tokens[start + t];
                    y[b * length + t] = tokens[start + t + 1];
                }
            }
            return new Batch(Tensor.fromArray(x, indices.length, length).to(dtype),
                    Tensor.fromArray(y, indices.length, length).to(dtype));
        }
    }
}
