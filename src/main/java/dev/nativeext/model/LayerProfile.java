package dev.nativeext.model;

import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A per-convolution timing profile of a forward pass (a benchmark aid, off by default): while
 * {@link #start()}ed on a thread, every {@code ConvNorm} call on it records its wall time under
 * the layer, with the input and weight shapes and the stride (and the stem's max-pool and
 * torchvision's avgpool + fc head theirs); {@link #print} gives, per layer in
 * the order first run, the minimum over the recorded passes, the FLOP count ({@code 2·N·C_out·
 * H_out·W_out·C_in/groups·kh·kw}) and GFLOP/s, and the layers sorted by time.
 */
public final class LayerProfile {

    private static final ThreadLocal<LayerProfile> ACTIVE = new ThreadLocal<>();

    private static final class Entry {
        final String what;
        final double flops;
        final List<Double> ms = new ArrayList<>();

        Entry(String what, double flops) {
            this.what = what;
            this.flops = flops;
        }

        double min() {
            return ms.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }
    }

    private final Map<Object, Entry> entries = new IdentityHashMap<>();
    private final List<Entry> order = new ArrayList<>();

    private LayerProfile() {
    }

    /** Starts recording on the calling thread and returns the profile. */
    public static LayerProfile start() {
        LayerProfile p = new LayerProfile();
        ACTIVE.set(p);
        return p;
    }

    /** Stops recording on the calling thread. */
    public static void stop() {
        ACTIVE.remove();
    }

    static LayerProfile active() {
        return ACTIVE.get();
    }

    void record(Object layer, String name, Tensor x, Tensor y, long[] weightShape, int stride, long nanos) {
        Entry e = entries.get(layer);
        if (e == null) {
            long[] xs = x.shape(), ys = y.shape();
            double flops = 2.0 * ys[0] * ys[1] * ys[2] * ys[3] * weightShape[1] * weightShape[2] * weightShape[3];
            String what = String.format("%-10s %4d->%-4d %dx%d/%d  %4dx%-4d -> %4dx%-4d", name, xs[1], ys[1], weightShape[2],
                    weightShape[3], stride, xs[2], xs[3], ys[2], ys[3]);
            e = new Entry(what, flops);
            entries.put(layer, e);
            order.add(e);
        }
        e.ms.add(nanos / 1e6);
    }

    /** A step that is not a convolution (max-pool, the classifier head), under {@code key}. */
    void recordStep(Object key, String what, double flops, long nanos) {
        Entry e = entries.get(key);
        if (e == null) {
            e = new Entry(String.format("%-45s", what), flops);
            entries.put(key, e);
            order.add(e);
        }
        e.ms.add(nanos / 1e6);
    }

    /** The recorded layers' descriptions, in the order first run. */
    public List<String> layers() {
        return order.stream().map(e -> e.what.strip()).toList();
    }

    /** Sum of the per-layer minima, in milliseconds. */
    public double totalMillis() {
        return order.stream().mapToDouble(Entry::min).sum();
    }

    /**
     * The recorded layers' time in pass {@code pass} (the pass-th time each layer ran), in
     * milliseconds: beside that pass's wall time it shows what runs between the layers.
     */
    public double passMillis(int pass) {
        return order.stream().mapToDouble(e -> pass < e.ms.size() ? e.ms.get(pass) : 0).sum();
    }

    /** Prints every layer (min ms, GFLOP/s, share), then the {@code top} slowest. */
    public void print(PrintStream out, int top) {
        double total = totalMillis(), flops = order.stream().mapToDouble(e -> e.flops).sum();
        out.printf("%-3s %-62s %9s %8s %6s%n", "#", "layer (C_in->C_out kxk/stride, in -> out)", "min ms", "GFLOP/s", "share");
        for (int i = 0; i < order.size(); i++) {
            Entry e = order.get(i);
            out.printf("%-3d %-62s %9.3f %8.1f %5.1f%%%n", i, e.what, e.min(), e.flops / e.min() / 1e6, 100 * e.min() / total);
        }
        out.printf("layers: %d, %.1f ms (sum of minima), %.2f GFLOP, %.1f GFLOP/s%n", order.size(), total, flops / 1e9,
                flops / total / 1e6);
        Entry[] sorted = order.toArray(new Entry[0]);
        Arrays.sort(sorted, (a, b) -> Double.compare(b.min(), a.min()));
        out.println("slowest:");
        for (int i = 0; i < Math.min(top, sorted.length); i++) {
            Entry e = sorted[i];
            out.printf("    %-62s %9.3f ms %8.1f GFLOP/s%n", e.what, e.min(), e.flops / e.min() / 1e6);
        }
    }
}
