package kfac4j.examples.bench;

/** Keeps each result reachable, so the compiler cannot prove the timed work useless and drop it. */
public final class Sink {
    private static volatile Object last;

    private Sink() {
    }

    public static void keep(Object result) {
        last = result;
    }
}
