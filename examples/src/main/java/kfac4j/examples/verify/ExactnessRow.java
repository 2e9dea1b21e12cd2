package kfac4j.examples.verify;

import java.util.Locale;

import kfac4j.kfac.Approximation;

/**
 * One row of the exactness table: the relative Frobenius error {@code ‖G ⊗ A − GGN‖ / ‖GGN‖} of one layer's block in
 * one flavour, and whether theory says it is exact.
 */
record ExactnessRow(String caseName, String layer, Approximation approximation, double relError, boolean theoryExact) {
    /** An exact row must be at machine precision. */
    static final double EXACT = 1e-10;
    /** An inexact row must be clearly wrong, or the case could not tell the flavours apart. */
    static final double DISTINCT = 1e-6;

    boolean agrees() {
        return theoryExact ? relError <= EXACT : relError >= DISTINCT;
    }

    String approx() {
        return approximation.name().toLowerCase(Locale.ROOT);
    }

    /** {@code {"case": C, "layer": L, "approx": "expand"|"reduce", "fisher": "type2", "rel_error": E, "theory_exact": B}}. */
    String json() {
        return String.format(Locale.ROOT, "{\"case\": \"%s\", \"layer\": \"%s\", \"approx\": \"%s\", \"fisher\": \"type2\","
                + " \"rel_error\": %s, \"theory_exact\": %s}", caseName, layer, approx(),
                Double.isFinite(relError) ? Double.toString(relError) : "null", theoryExact);
    }
}
