package kfac4j.examples.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import kfac4j.tensor.DType;

class TextDataTest {
    @TempDir
    Path dir;

    @Test
    void vocabularyIsTheSortedCharactersAndRoundTrips() {
        CharVocabulary v = CharVocabulary.of("banana é😀");
        assertThat(v.size()).isEqualTo(6);
        assertThat(v.id(' ')).isZero();
        assertThat(v.id('a')).isEqualTo(1);
        assertThat(v.decode(v.encode("nab 😀é"))).isEqualTo("nab 😀é");
        assertThatThrownBy(() -> v.encode("z")).hasMessage("CharVocabulary: character 'z' (U+007A) is not in the vocabulary");
    }

    @Test
    void windowsPairEachInputWithItsNextCharacter() {
        CharCorpus c = CharCorpus.of("abcdefgh");
        CharCorpus.Windows w = c.windows(3, 2, DType.F32);
        assertThat(w.size()).isEqualTo(3); // starts 0, 2, 4 (start 6 has no target for its last input)
        Batch b = w.batch(new int[]{2, 0});
        assertThat(b.x().shape()).containsExactly(2, 3);
        assertThat(c.vocabulary().decode(toInts(b.x().toDoubleArray(), 0, 3))).isEqualTo("efg");
        assertThat(c.vocabulary().decode(toInts(b.y().toDoubleArray(), 0, 3))).isEqualTo("fgh");
        assertThat(c.vocabulary().decode(toInts(b.x().toDoubleArray(), 3, 6))).isEqualTo("abc");
        assertThat(c.vocabulary().decode(toInts(b.y().toDoubleArray(), 3, 6))).isEqualTo("bcd");
        assertThat(c.windows(7, 1, DType.F64).size()).isEqualTo(1);
        assertThatThrownBy(() -> c.windows(8, 1, DType.F32)).hasMessageContaining("has no window of 8 inputs");
    }

    private static int[] toInts(double[] v, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) out[i - from] = (int) v[i];
        return out;
    }

    @Test
    void splitIsContiguousAndSharesTheVocabulary() {
        CharCorpus c = CharCorpus.of("aaaaaaaabz");
        Split<CharCorpus> s = c.split(0.2);
        assertThat(s.train().vocabulary().decode(s.train().tokens())).isEqualTo("aaaaaaaa");
        assertThat(s.validation().vocabulary().decode(s.validation().tokens())).isEqualTo("bz");
        assertThat(s.validation().vocabulary()).isEqualTo(c.vocabulary());
    }

    @Test
    void loadReadsUtf8AndRejectsBadFiles() throws IOException {
        Path ok = Files.writeString(dir.resolve("ok.txt"), "héllo\nwörld\n");
        CharCorpus c = CharCorpus.load(ok);
        assertThat(c.length()).isEqualTo(12);
        assertThat(c.vocabulary().decode(c.tokens())).isEqualTo("héllo\nwörld\n");
        Path bad = Files.write(dir.resolve("bad.txt"), new byte[]{'a', 'b', (byte) 0xC3, 'c'});
        assertThatThrownBy(() -> CharCorpus.load(bad)).isInstanceOf(DatasetFormatException.class)
                .hasMessageStartingWith(bad + ": is not valid UTF-8 text");
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "x");
        assertThatThrownBy(() -> CharCorpus.load(tiny))
                .hasMessage(tiny + ": holds 1 characters; a corpus needs at least 2 (an input and its next character)");
    }

    @Test
    void syntheticLanguageIsDeterministicAndUsesItsAlphabet() {
        String a = SyntheticLanguage.generate(5000, 1);
        assertThat(a).hasSize(5000).isEqualTo(SyntheticLanguage.generate(5000, 1)).isNotEqualTo(SyntheticLanguage.generate(5000, 2));
        assertThat(a.chars().allMatch(ch -> SyntheticLanguage.ALPHABET.indexOf(ch) >= 0)).isTrue();
        CharCorpus c = SyntheticLanguage.corpus(100, 1);
        assertThat(c.vocabulary().size()).isEqualTo(SyntheticLanguage.ALPHABET.length());
    }

    private static final Pattern CLAUSE = Pattern.compile("\\([^()]*\\)");

    /**
     * The grammar's long-range rules hold in every sentence: parentheses match, and once the parenthesised clauses
     * are removed, the main verb agrees with the subject (no singular noun or verb of the lexicon ends in "s").
     */
    @Test
    void syntheticLanguageKeepsAgreementAcrossClausesAndBalancesParentheses() {
        String text = SyntheticLanguage.generate(200_000, 3);
        String[] paragraphs = text.split("\n");
        int checked = 0, separated = 0;
        for (int p = 0; p < paragraphs.length - 1; p++) { // the last paragraph may be cut off
            for (String sentence : paragraphs[p].split("\\. ?")) {
                int depth = 0;
                for (char ch : sentence.toCharArray()) {
                    depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
                    assertThat(depth).as(sentence).isBetween(0, 2);
                }
                assertThat(depth).as(sentence).isZero();
                String flat = sentence;
                while (CLAUSE.matcher(flat).find()) flat = CLAUSE.matcher(flat).replaceAll("");
                if (!flat.equals(sentence)) separated++;
                List<String> words = List.of(flat.trim().split(" +"));
                int subjectEnd = words.get(0).equals("the") || words.get(0).equals("a")
                        ? (words.size() > 2 && !isVerb(words.get(2)) ? 2 : 1) : 0;
                boolean plural = words.get(subjectEnd).endsWith("s");
                String verb = words.get(subjectEnd + 1);
                assertThat(isVerb(verb)).as(sentence).isTrue();
                assertThat(verb.endsWith("s")).as(sentence).isEqualTo(!plural);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(1000);
        assertThat(separated).isGreaterThan(checked / 5);
    }

    private static boolean isVerb(String w) {
        Matcher m = Pattern.compile("(see|like|find|greet|follow|help|hear|meet|call|bite)s?").matcher(w);
        return m.matches();
    }
}
