package dev.nativeext.tensor;

import java.lang.ref.Reference;

/**
 * Holds tensors for the length of a native call: each stays reachable (its Cleaner cannot free it
 * once the JIT considers the caller's reference dead) and {@link Tensor#close()} defers freeing
 * it until this is closed. The one mechanism every native call on tensors goes through: the op
 * registry wraps every kernel in one (see {@code OpRegistry}), generated bindings hold their
 * tensor arguments in one, and op code that calls natives outside a kernel uses one.
 *
 * <pre>{@code
 * try (InFlight held = InFlight.of(a, b)) {
 *     check(native_call(a.address(), b.address()));
 * }
 * }</pre>
 */
public final class InFlight implements AutoCloseable {

    private static final InFlight NONE = new InFlight(new Tensor[0], 0);

    private final Tensor[] held;
    private final int count;
    private boolean closed;

    private InFlight(Tensor[] held, int count) {
        this.held = held;
        this.count = count;
    }

    /** Holds every non-null tensor; fails, holding none, when one is closed. */
    public static InFlight of(Tensor... tensors) {
        if (tensors == null) return NONE;
        return hold(null, tensors, null);
    }

    /**
     * Holds every tensor among {@code args} (also inside {@code Tensor[]} elements) for a call of
     * {@code what}; fails, holding none, with an {@link IllegalStateException} naming the
     * argument when one is closed.
     */
    public static InFlight ofArguments(String what, Object[] args) {
        if (args == null || args.length == 0) return NONE;
        int n = 0;
        for (Object a : args) {
            if (a instanceof Tensor) n++;
            else if (a instanceof Tensor[] ts) n += ts.length;
        }
        if (n == 0) return NONE;
        Tensor[] ts = new Tensor[n];
        int[] arg = new int[n];
        int k = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Tensor t) {
                arg[k] = i;
                ts[k++] = t;
            } else if (args[i] instanceof Tensor[] arr) {
                for (Tensor t : arr) {
                    arg[k] = i;
                    ts[k++] = t;
                }
            }
        }
        return hold(what, ts, arg);
    }

    /** Acquires each non-null tensor; on failure releases those acquired and names the argument (built only then). */
    private static InFlight hold(String what, Tensor[] tensors, int[] arg) {
        Tensor[] held = new Tensor[tensors.length];
        int n = 0;
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i];
            if (t == null) continue;
            try {
                t.acquire("");
            } catch (IllegalStateException e) {
                for (int j = 0; j < n; j++) held[j].release();
                if (what == null) throw e;
                throw new IllegalStateException(what + ": argument " + (arg[i] + 1) + ", " + e.getMessage(), e);
            }
            held[n++] = t;
        }
        return new InFlight(held, n);
    }

    /** Releases every tensor held (once); a tensor closed meanwhile is freed here. */
    @Override
    public void close() {
        if (closed || count == 0) return;
        closed = true;
        for (int i = 0; i < count; i++) held[i].release();
        Reference.reachabilityFence(held);
    }
}
