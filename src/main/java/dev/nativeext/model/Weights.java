package dev.nativeext.model;

import dev.nativeext.model.io.Checkpoints;
import dev.nativeext.model.io.Safetensors;
import dev.nativeext.model.io.StateDict;
import dev.nativeext.model.io.WeightMapper;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weights in and out of a module tree named as PyTorch names it: load a checkpoint
 * ({@code torch.save}, zip or legacy, or safetensors; maskrcnn-benchmark's or torchvision's names, see
 * {@link WeightMapper}), seed every parameter and buffer reproducibly, save to safetensors.
 * Loading or seeding ends with the module's {@code prepare()} (frozen BN folded, once).
 */
public final class Weights {

    /** What a load did: the keys it ignored (detector heads, BN counters) and its wall time. */
    public record LoadReport(int loaded, List<String> ignored, long nanos) {
    }

    private Weights() {
    }

    /** Loads {@code file} into {@code params}; every missing, unexpected or wrongly shaped key is reported at once. */
    public static LoadReport load(Path file, Map<String, Parameter> params, Runnable prepare) throws IOException {
        long t0 = System.nanoTime();
        Map<String, long[]> expected = new LinkedHashMap<>();
        params.forEach((k, p) -> expected.put(k, p.shape()));
        WeightMapper.Result r;
        try (StateDict sd = Checkpoints.read(file)) {
            r = WeightMapper.map(sd, expected).orThrow(file.toString());
        }
        r.matched().forEach((k, t) -> params.get(k).set(asFloat32(t)));
        prepare.run();
        return new LoadReport(r.matched().size(), r.ignored(), System.nanoTime() - t0);
    }

    /**
     * {@code t} as FLOAT32, the parameters' dtype: PyTorch's {@code load_state_dict} copies a
     * checkpoint of any dtype into a float model the same way (a float64 value rounded to the
     * nearest float). Closes {@code t} when it makes a copy.
     */
    static Tensor asFloat32(Tensor t) {
        if (t.dtype() == DType.FLOAT32) return t;
        float[] v = new float[Math.toIntExact(t.numel())];
        switch (t.dtype()) {
            case FLOAT64 -> {
                double[] d = t.toDoubleArray();
                for (int i = 0; i < v.length; i++) v[i] = (float) d[i];
            }
            case INT64 -> {
                long[] d = t.toLongArray();
                for (int i = 0; i < v.length; i++) v[i] = (float) d[i];
            }
            case INT32 -> {
                int[] d = t.toIntArray();
                for (int i = 0; i < v.length; i++) v[i] = (float) d[i];
            }
            default -> { // UINT8, BOOL: one byte each
                byte[] d = t.toRawBytes();
                for (int i = 0; i < v.length; i++) v[i] = d[i] & 0xff;
            }
        }
        Tensor f = Tensor.of(v, t.shape());
        t.close();
        return f;
    }

    public static LoadReport load(Path file, Backbone b) throws IOException {
        return load(file, b.parameters(), b::prepare);
    }

    /** Writes every parameter and buffer (unfolded, as PyTorch has them) to a safetensors file. */
    public static void save(Path file, Map<String, Parameter> params) throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        params.forEach((k, p) -> m.put(k, p.value()));
        Safetensors.write(file, m, Map.of("format", "pt", "producer", "nativeext"));
    }

    /**
     * Seeds every parameter and buffer as the reference script does (not its numbers, its
     * scales): conv weights N(0, 2/fan_in), DCN offset weights N(0, 0.3²/fan_in) with N(0, 1)
     * biases (fractional offsets), other biases N(0, 0.1²), norm weights U[0.5, 1.5) (U[0.2, 0.4)
     * for a residual branch's last norm, bn3), biases and running means N(0, 0.1²), running
     * variances U[0.5, 2).
     */
    public static void seed(long seed, Map<String, Parameter> params, Runnable prepare) {
        long i = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String n = e.getKey();
            Parameter p = e.getValue();
            long[] s = p.shape();
            long s0 = seed * 1_000_003L + (i++);
            Tensor t;
            if (s.length > 1) {
                long fanIn = 1;
                for (int d = 1; d < s.length; d++) fanIn *= s[d];
                double std = n.contains(".offset.") ? 0.3 / Math.sqrt(fanIn) : Math.sqrt(2.0 / fanIn);
                t = Tensor.normal(s0, 0f, (float) std, s);
            } else if (n.endsWith("running_var")) {
                t = Tensor.uniform(s0, 0.5f, 2f, s);
            } else if (n.endsWith("bn3.weight")) {
                t = Tensor.uniform(s0, 0.2f, 0.4f, s); // a residual branch's last norm: small gain, as trained nets have
            } else if (n.endsWith(".weight")) {
                t = Tensor.uniform(s0, 0.5f, 1.5f, s);
            } else {
                t = Tensor.normal(s0, 0f, n.contains(".offset.") ? 1f : 0.1f, s);
            }
            p.set(t);
        }
        prepare.run();
    }

    public static void seed(long seed, Backbone b) {
        seed(seed, b.parameters(), b::prepare);
    }
}
