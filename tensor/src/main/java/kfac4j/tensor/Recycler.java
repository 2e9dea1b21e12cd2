package kfac4j.tensor;

/**
 * Reference counts, kept by an owner that sees every reference, over the large storages allocated on one thread
 * while the recycler is open; a storage whose count falls back to zero is released and its array reused by a later
 * allocation of the same length ({@link ArrayPool}).
 *
 * <p>The owner is autograd's backward pass. The gradients it hands from one rule to the next are allocated during
 * the pass, and it knows each place that refers to one: the pending sum of a variable's gradients, and the gradients a
 * rule returns (which may be the gradient it was given, or a view of it). Once a rule has consumed its gradient and
 * nothing else holds it, its memory serves the next allocation, with no zeroing when that allocation is an output
 * written in full.
 *
 * <p>Only storages this recycler adopted are ever released: a tensor allocated before it opened, on another thread,
 * under another recycler or below the pool's size threshold is never touched, whatever the counts say. A released
 * storage fails every later access with an error that names the cause, so a reference the owner failed to report
 * shows up as an exception and never as another tensor's values.
 *
 * <p>Recyclers nest per thread: opening one shadows the thread's current one until it is closed.
 */
public final class Recycler implements AutoCloseable {
    private static final ThreadLocal<Recycler> CURRENT = new ThreadLocal<>();

    private final Recycler shadowed;
    private final boolean tracking;
    private boolean open = true;

    private Recycler(boolean tracking) {
        this.tracking = tracking;
        this.shadowed = CURRENT.get();
        CURRENT.set(this);
    }

    /** Opens a recycler on this thread that adopts the large storages allocated until it is closed. */
    public static Recycler open() {
        return new Recycler(true);
    }

    /**
     * Opens a recycler that adopts nothing, shadowing the thread's current one: what is allocated until it closes
     * is never released (a pass that records the graph of its gradients keeps every tensor it makes).
     */
    public static Recycler openInactive() {
        return new Recycler(false);
    }

    /** Called by {@link Storage} for each large storage it allocates. */
    static void adopt(Storage s) {
        Recycler r = CURRENT.get();
        if (r != null && r.tracking) s.owner = r;
    }

    /** Counts one more reference to {@code t}'s storage, if this recycler adopted it. */
    public void retain(Tensor t) {
        Storage s = t.storage;
        if (s.owner == this) s.references++;
    }

    /**
     * Counts one reference fewer to {@code t}'s storage, if this recycler adopted it, and releases the storage when
     * none is left: from then on every tensor over it fails on use.
     */
    public void drop(Tensor t) {
        Storage s = t.storage;
        if (s.owner != this || !open) return;
        if (s.references <= 0) {
            throw new IllegalStateException("Recycler.drop: a storage was dropped more often than it was retained");
        }
        if (--s.references == 0) s.release();
    }

    /** Keeps {@code t}'s storage for good: this recycler will not release it, whatever the counts. */
    public void pin(Tensor t) {
        Storage s = t.storage;
        if (s.owner == this) s.owner = null;
    }

    /**
     * Keeps {@code t}'s storage for good, whichever recycler adopted it: for code that runs inside a recycler's owner
     * (a hook during a backward pass) and keeps a tensor the owner does not know about.
     */
    public static void keep(Tensor t) {
        Recycler r = t.storage.owner;
        if (r != null) r.pin(t);
    }

    /**
     * Whether the owner of the thread's current recycler holds the only reference to {@code t}'s storage: then what
     * the owner runs may overwrite it in place (ReLU's backward over the gradient it consumes, say) instead of
     * allocating another array. False for a storage the recycler did not adopt or has pinned.
     */
    public static boolean isSoleReference(Tensor t) {
        Recycler r = CURRENT.get();
        Storage s = t.storage;
        return r != null && r.open && s.owner == r && s.references == 1;
    }

    /** Whether {@code t}'s memory was released by a recycler; such a tensor fails on any use of its elements. */
    public static boolean isReleased(Tensor t) {
        return t.storage.isReleased();
    }

    /** Stops adopting storages and restores the recycler this one shadowed. Storages it adopted are kept as they are. */
    @Override
    public void close() {
        if (!open) return;
        if (CURRENT.get() != this) {
            throw new IllegalStateException("Recycler.close: recyclers must be closed in the reverse order of opening,"
                    + " on the thread that opened them");
        }
        open = false;
        if (shadowed != null) CURRENT.set(shadowed);
        else CURRENT.remove();
    }
}
