package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.ChannelAffine;
import dev.nativeext.ops.Conv2d;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.GroupNorm;
import dev.nativeext.ops.MaxPool2d;
import dev.nativeext.ops.UpsampleNearest;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The memory-bound layers of issue 12 at FPN sizes, float32, one and two threads, each beside
 * a memcpy of the larger of its input and output (the floor for one pass) and ONNX Runtime's kernel for the
 * same op where it has one, measured in the same run:
 * <ul>
 *   <li>GroupNorm(32) + ReLU on [1,256,200,336] (the goal: ≤ 2.5× the memcpy);</li>
 *   <li>frozen batch norm + residual + ReLU (the channel-affine epilogue) on the same tensor;</li>
 *   <li>the stem's max-pool 3×3/2 pad 1 on [1,64,400,672];</li>
 *   <li>FPN's nearest ×2 upsampling [1,256,100,168] → [1,256,200,336];</li>
 *   <li>the whole stem: conv 7×7/2 3→64 + frozen BN + ReLU (one fused {@link Conv2d} call) + the
 *       max-pool, on [1,3,800,1344]; ORT runs Conv (the BN folded into its weights and bias,
 *       given as inputs) + Relu + MaxPool.</li>
 * </ul>
 * {@code java -cp target/classes:target/bench-lib/* dev.nativeext.bench.NormPoolBench}
 */
public final class NormPoolBench {

    private static final int WARMUP = 3, REPS = 11;

    private NormPoolBench() {
    }

    public static void main(String[] args) {
        run(System.out);
    }

    public static void run(PrintStream out) {
        BenchUtil.header(out, "norm/pool layers (float32; min / median ms of " + REPS + " runs; memcpy = copy of the larger of input and output)");
        long[] fpn = {1, 256, 200, 336};
        try (Tensor x = Tensor.normal(1, 0.3f, 1.5f, fpn); Tensor w = Tensor.uniform(2, 0.5f, 1.5f, 256);
             Tensor b = Tensor.uniform(3, -0.5f, 0.5f, 256); Tensor res = Tensor.normal(4, 0f, 1f, fpn);
             Tensor stem = Tensor.normal(5, 0f, 1f, 1, 64, 400, 672); Tensor top = Tensor.normal(6, 0f, 1f, 1, 256, 100, 168);
             Tensor img = Tensor.normal(7, 0f, 1f, 1, 3, 800, 1344); Tensor sw = Tensor.normal(8, 0f, 0.1f, 64, 3, 7, 7);
             Tensor ss = Tensor.uniform(9, 0.5f, 1.5f, 64); Tensor sb = Tensor.uniform(10, -0.5f, 0.5f, 64)) {
            for (int threads : new int[] {1, 2}) {
                CpuOptions.setThreads(threads);
                row(out, "GroupNorm(32)+ReLU [1,256,200,336]", threads, x.bytes(),
                        () -> GroupNorm.forward(x, 32, 1e-5, w, b, true),
                        () -> ortGroupNormRelu(x, w, b, threads));
                row(out, "FrozenBN+residual+ReLU [1,256,200,336]", threads, x.bytes(),
                        () -> ChannelAffine.apply(x, w, b, res, true), null);
                row(out, "max_pool2d 3x3/2 pad 1 [1,64,400,672]", threads, stem.bytes(),
                        () -> MaxPool2d.forward(stem, new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1}, false),
                        () -> ortMaxPool(stem, threads));
                row(out, "upsample nearest x2 [1,256,100,168]", threads, top.bytes() * 4,
                        () -> UpsampleNearest.forward(top, 2), () -> ortResize(top, threads));
                row(out, "stem 7x7/2+BN+ReLU + maxpool [1,3,800,1344]", threads, stem.bytes(), () -> {
                    try (Tensor c = Conv2d.forward(img, sw, null, Conv2d.Params.of(2, 3, 1, 1),
                            Conv2d.Epilogue.none().scaleShift(ss, sb).relu())) {
                        return MaxPool2d.forward(c, new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1}, false);
                    }
                }, () -> ortStem(img, sw, ss, sb, threads));
            }
        }
        out.printf(Locale.ROOT, "peak RSS %.0f MiB%n", BenchUtil.peakRssMb());
    }

    /**
     * Times the op and the memcpy alternately (op, memcpy, op, memcpy, ...), so that both see the
     * same load on a shared machine; the ratio is of the two minima.
     */
    private static void row(PrintStream out, String what, int threads, long bytes, Supplier<Tensor> op, Supplier<Double> ort) {
        double[] t = new double[REPS], m = new double[REPS];
        try (Tensor a = Tensor.zeros(DType.UINT8, Device.CPU, bytes); Tensor c = Tensor.zeros(DType.UINT8, Device.CPU, bytes)) {
            Pointer src = at(a.address()), dst = at(c.address());
            for (int i = 0; i < WARMUP + REPS; i++) {
                long t0 = System.nanoTime();
                op.get().close();
                long t1 = System.nanoTime();
                Pointer.memcpy(dst, src, bytes);
                long t2 = System.nanoTime();
                if (i >= WARMUP) {
                    t[i - WARMUP] = (t1 - t0) / 1e6;
                    m[i - WARMUP] = (t2 - t1) / 1e6;
                }
            }
        }
        java.util.Arrays.sort(t);
        java.util.Arrays.sort(m);
        String o = "";
        if (ort != null) {
            try {
                double v = ort.get();
                o = String.format(Locale.ROOT, "  ORT %7.2f ms (%.2fx ours)", v, v / t[0]);
            } catch (RuntimeException e) {
                o = "  ORT n/a (" + e.getMessage() + ")";
            }
        }
        out.printf(Locale.ROOT, "%-42s threads=%d  %7.2f / %7.2f ms  memcpy %6.2f / %6.2f ms  ratio %.2fx memcpy (min/min)%s%n", what,
                threads, t[0], t[REPS / 2], m[0], m[REPS / 2], t[0] / m[0], o);
    }

    private static Pointer at(long where) {
        // (a parameter named "address" would be shadowed here by Pointer's own field)
        return new Pointer() {
            {
                this.address = where;
            }
        };
    }

    // ---- ONNX Runtime anchors ---------------------------------------------------------------------

    private static double ortRun(byte[] model, int threads, Map<String, Tensor> inputs) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        java.util.Map<String, OnnxTensor> feeds = new java.util.HashMap<>();
        try (OrtSession s = BenchUtil.ortSession(model, threads)) {
            for (var e : inputs.entrySet()) {
                feeds.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue().toFloatArray()), e.getValue().shape()));
            }
            return BenchUtil.minMedianMillis(WARMUP, REPS, () -> {
                try (OrtSession.Result r = s.run(feeds)) {
                    r.get(0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            })[0];
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            for (OnnxTensor t : feeds.values()) t.close();
        }
    }

    /** ai.onnx GroupNormalization (opset 21: per-channel scale and bias) then Relu. */
    static double ortGroupNormRelu(Tensor x, Tensor w, Tensor b, int threads) {
        long[] s = x.shape();
        List<OnnxModel.Node> g = List.of(
                new OnnxModel.Node("GroupNormalization", List.of("x", "w", "b"), List.of("y"), Map.of("num_groups", 32L, "epsilon", 1e-5)),
                new OnnxModel.Node("Relu", "z", "y"));
        byte[] model = OnnxModel.graph("gn_relu", 21, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, s),
                new OnnxModel.Io("w", OnnxModel.FLOAT, new long[] {s[1]}), new OnnxModel.Io("b", OnnxModel.FLOAT, new long[] {s[1]})),
                List.of(new OnnxModel.Io("z", OnnxModel.FLOAT, s)), g);
        return ortRun(model, threads, Map.of("x", x, "w", w, "b", b));
    }

    static double ortMaxPool(Tensor x, int threads) {
        long[] s = x.shape();
        byte[] model = OnnxModel.model("MaxPool", "", 17, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, s)),
                List.of(new OnnxModel.Io("y", OnnxModel.FLOAT, null)),
                Map.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}));
        return ortRun(model, threads, Map.of("x", x));
    }

    /** Conv 7x7/2 pad 3 with the BN folded into weight and bias, Relu, MaxPool 3x3/2 pad 1. */
    static double ortStem(Tensor x, Tensor w, Tensor scale, Tensor shift, int threads) {
        float[] wf = w.toFloatArray(), s = scale.toFloatArray(), b = shift.toFloatArray();
        int per = wf.length / s.length;
        for (int i = 0; i < wf.length; i++) wf[i] *= s[i / per];
        List<OnnxModel.Node> g = List.of(
                new OnnxModel.Node("Conv", List.of("x", "w", "b"), List.of("c"),
                        Map.of("kernel_shape", new long[] {7, 7}, "strides", new long[] {2, 2}, "pads", new long[] {3, 3, 3, 3})),
                new OnnxModel.Node("Relu", "r", "c"),
                new OnnxModel.Node("MaxPool", List.of("r"), List.of("y"),
                        Map.of("kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})));
        byte[] model = OnnxModel.graph("stem", 17, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, x.shape()),
                new OnnxModel.Io("w", OnnxModel.FLOAT, w.shape()), new OnnxModel.Io("b", OnnxModel.FLOAT, new long[] {s.length})),
                List.of(new OnnxModel.Io("y", OnnxModel.FLOAT, null)), g);
        try (Tensor fw = Tensor.of(wf, w.shape()); Tensor fb = Tensor.of(b, b.length)) {
            return ortRun(model, threads, Map.of("x", x, "w", fw, "b", fb));
        }
    }

    /** Resize nearest, asymmetric coordinates, floor: PyTorch's nearest for integer scales. */
    static double ortResize(Tensor x, int threads) {
        long[] s = x.shape();
        List<OnnxModel.Node> g = List.of(new OnnxModel.Node("Resize", List.of("x", "", "scales"), List.of("y"),
                Map.of("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor")));
        byte[] model = OnnxModel.graph("resize", 17, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, s),
                new OnnxModel.Io("scales", OnnxModel.FLOAT, new long[] {4})), List.of(new OnnxModel.Io("y", OnnxModel.FLOAT, null)), g);
        try (Tensor scales = Tensor.of(new float[] {1, 1, 2, 2}, 4)) {
            return ortRun(model, threads, Map.of("x", x, "scales", scales));
        }
    }
}
