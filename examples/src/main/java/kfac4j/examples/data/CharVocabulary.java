package kfac4j.examples.data;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** The characters (Unicode code points) of a corpus, sorted, each with a token id: its rank. */
public final class CharVocabulary {
    private final int[] codePoints;
    private final Map<Integer, Integer> ids = new HashMap<>();

    private CharVocabulary(int[] codePoints) {
        this.codePoints = codePoints;
        for (int i = 0; i < codePoints.length; i++) ids.put(codePoints[i], i);
    }

    /** The vocabulary of the characters that occur in {@code text}. */
    public static CharVocabulary of(String text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new CharVocabulary(set.stream().mapToInt(Integer::intValue).toArray());
    }

    public int size() {
        return codePoints.length;
    }

    /** The token id of a code point. */
    public int id(int codePoint) {
        Integer id = ids.get(codePoint);
        if (id == null) {
            throw new IllegalArgumentException("CharVocabulary: character " + describe(codePoint) + " is not in the vocabulary");
        }
        return id;
    }

    public boolean contains(int codePoint) {
        return ids.containsKey(codePoint);
    }

    /** The code point of a token id. */
    public int codePoint(int id) {
        if (id < 0 || id >= codePoints.length) {
            throw new IllegalArgumentException("CharVocabulary: token id " + id + " outside [0, " + codePoints.length + ")");
        }
        return codePoints[id];
    }

    public int[] encode(String text) {
        return text.codePoints().map(this::id).toArray();
    }

    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length);
        for (int t : tokens) sb.appendCodePoint(codePoint(t));
        return sb.toString();
    }

    private static String describe(int cp) {
        return Character.isISOControl(cp) || Character.isWhitespace(cp)
                ? String.format("U+%04X", cp) : "'" + new String(Character.toChars(cp)) + "' (" + String.format("U+%04X", cp) + ")";
    }

    @Override
    public String toString() {
        return "CharVocabulary(" + codePoints.length + " characters)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharVocabulary v && Arrays.equals(codePoints, v.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }
}
