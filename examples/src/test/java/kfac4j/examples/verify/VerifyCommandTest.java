package kfac4j.examples.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import kfac4j.examples.cli.Options;
import kfac4j.kfac.Approximation;

class VerifyCommandTest {
    private static final Pattern LINE = Pattern.compile("\\{\"case\": \"([a-z-]+)\", \"layer\": \"([a-z0-9]+)\","
            + " \"approx\": \"(expand|reduce)\", \"fisher\": \"type2\", \"rel_error\": ([0-9.eE+-]+),"
            + " \"theory_exact\": (true|false)\\}");

    private static String run(VerifyCommand c, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = c.run(c.options().parse("verify", List.of(args)), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(code).as("exit code").isZero();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonLinesCoverEveryCaseLayerAndFlavourAndAgreeWithTheory() {
        String[] lines = run(new VerifyCommand(), "--json").split("\n");
        assertThat(lines).hasSize(36);
        int exact = 0;
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            double error = Double.parseDouble(m.group(4));
            if (Boolean.parseBoolean(m.group(5))) {
                exact++;
                assertThat(error).as(line).isLessThanOrEqualTo(1e-10);
            } else {
                assertThat(error).as(line).isGreaterThanOrEqualTo(1e-6);
            }
        }
        assertThat(exact).isEqualTo(3 + 3 + 3 + 6 + 2 + 3);
        assertThat(String.join("\n", lines)).contains("\"case\": \"deep-linear-expand\"", "\"case\": \"deep-linear-reduce\"",
                "\"case\": \"deep-linear-ragged-expand\"", "\"case\": \"single-example-mlp\"", "\"case\": \"conv-expand\"",
                "\"case\": \"conv-reduce\"");
    }

    @Test
    void theTableEndsWithTheVerdict() {
        String table = run(new VerifyCommand());
        assertThat(table).contains("rel_error").contains("all 36 rows agree with theory");
    }

    @Test
    void aRowAgreesOnlyOnItsSideOfTheThresholds() {
        assertThat(new ExactnessRow("c", "l", Approximation.EXPAND, 1e-12, true).agrees()).isTrue();
        assertThat(new ExactnessRow("c", "l", Approximation.EXPAND, 1e-8, true).agrees()).isFalse();
        assertThat(new ExactnessRow("c", "l", Approximation.REDUCE, 1e-3, false).agrees()).isTrue();
        assertThat(new ExactnessRow("c", "l", Approximation.REDUCE, 1e-8, false).agrees()).isFalse();
        assertThat(new ExactnessRow("c", "l", Approximation.REDUCE, Double.NaN, true).json()).contains("\"rel_error\": null");
    }

    @Test
    void unknownOptionsAreRejected() {
        VerifyCommand c = new VerifyCommand();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.options().parse("verify", List.of("--xml")))
                .isInstanceOf(Options.UsageException.class).hasMessageContaining("--json");
    }
}
