package dev.nativeext.bench;

import ai.onnxruntime.OrtException;
import dev.nativeext.ops.Conv2d;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.PreparedConv2d;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The layer benchmarks of issue 12: {@code java -cp ... dev.nativeext.bench.LayersBench
 * [conv3x3 conv1x1 stem bottleneck]} (no argument: all), float32, batch 1, at 1 and 2 threads,
 * each workload with ONNX Runtime 1.29 and OpenCV 4.13's DNN module running the same layers
 * (the same ONNX graph, weights as initializers, batch norms as BatchNormalization nodes that
 * both fold into the convolution) in the same run. nativeext runs its layers as fused
 * {@link PreparedConv2d} calls (weights prepared once) into preallocated outputs. Prints min / median of the timed runs and the
 * process's peak RSS after each figure (nativeext first, then the anchors: ORT and OpenCV add
 * their own memory to the later figures).
 */
public final class LayersBench {

    /** One conv layer: from value {@code in} to {@code out}, optional BN (scale/shift), residual (a value name), ReLU. */
    record ConvSpec(String in, String out, int cin, int cout, int k, int stride, int pad, boolean bn, String residual, boolean relu) {}

    /**
     * A workload: input shape, layers in order, the value it returns, repetitions; maxPool: a 3x3/2
     * max-pool (padding 1) after the last layer (the stem's), its output the value returned.
     */
    record Workload(String title, long[] input, List<ConvSpec> layers, String output, int reps, boolean maxPool) {
        Workload(String title, long[] input, List<ConvSpec> layers, String output, int reps) {
            this(title, input, layers, output, reps, false);
        }
    }

    static final int[] POOL_K = {3, 3}, POOL_S = {2, 2}, POOL_P = {1, 1}, POOL_D = {1, 1};

    private static final Map<String, Workload> WORKLOADS = new LinkedHashMap<>();

    static {
        WORKLOADS.put("conv3x3", new Workload("conv3x3 256->256, [1,256,50,50], pad 1", new long[] {1, 256, 50, 50},
                List.of(new ConvSpec("x", "y", 256, 256, 3, 1, 1, false, null, false)), "y", 21));
        WORKLOADS.put("conv1x1", new Workload("conv1x1 1024->256, [1,1024,50,84]", new long[] {1, 1024, 50, 84},
                List.of(new ConvSpec("x", "y", 1024, 256, 1, 1, 0, false, null, false)), "y", 21));
        WORKLOADS.put("stem", new Workload("stem conv7x7/2 3->64 + frozen BN + ReLU + max-pool 3x3/2, [1,3,800,1344]",
                new long[] {1, 3, 800, 1344}, List.of(new ConvSpec("x", "c", 3, 64, 7, 2, 3, true, null, true)), "y", 9, true));
        WORKLOADS.put("bottleneck", new Workload("bottleneck 256-64-64-256 (1x1, 3x3, 1x1) + BN, identity, ReLU, [1,256,200,336]",
                new long[] {1, 256, 200, 336}, List.of(
                        new ConvSpec("x", "a", 256, 64, 1, 1, 0, true, null, true),
                        new ConvSpec("a", "b", 64, 64, 3, 1, 1, true, null, true),
                        new ConvSpec("b", "y", 64, 256, 1, 1, 0, true, "x", true)), "y", 7));
    }

    private LayersBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> names = args.length == 0 ? List.copyOf(WORKLOADS.keySet()) : Arrays.asList(args);
        for (String n : names) {
            if (!WORKLOADS.containsKey(n)) {
                System.err.println("unknown workload '" + n + "'; expected one of " + WORKLOADS.keySet());
                System.exit(2);
            }
        }
        PrintStream out = System.out;
        BenchUtil.header(out, "layers " + names);
        for (String n : names) run(out, n, WORKLOADS.get(n));
        out.printf("peak RSS %.1f MiB%n", BenchUtil.peakRssMb());
    }

    /** The weights of one layer (seeded), shared by all three engines. */
    record Weights(float[] w, float[] scale, float[] shift) {}

    static void run(PrintStream out, String name, Workload wl) throws OrtException {
        Random r = new Random(12);
        List<Weights> ws = new ArrayList<>();
        for (ConvSpec c : wl.layers) {
            float bound = (float) Math.sqrt(6.0 / (c.cin * c.k * c.k));
            ws.add(new Weights(uniform(r, c.cout * c.cin * c.k * c.k, bound), c.bn ? uniform(r, c.cout, 0.5f, 1.5f) : null,
                    c.bn ? uniform(r, c.cout, -0.5f, 0.5f) : null));
        }
        float[] x = uniform(r, (int) numel(wl.input), 1f);
        double flops = 0;
        Map<String, long[]> shapes = new HashMap<>();
        shapes.put("x", wl.input);
        for (ConvSpec c : wl.layers) {
            long[] in = shapes.get(c.in);
            long ho = (in[2] + 2L * c.pad - c.k) / c.stride + 1, wo = (in[3] + 2L * c.pad - c.k) / c.stride + 1;
            shapes.put(c.out, new long[] {in[0], c.cout, ho, wo});
            flops += 2.0 * c.cout * c.cin * c.k * c.k * ho * wo * in[0];
        }
        if (wl.maxPool) {
            long[] c = shapes.get(wl.layers.get(wl.layers.size() - 1).out);
            shapes.put(wl.output, new long[] {c[0], c[1], (c[2] + 2 - 3) / 2 + 1, (c[3] + 2 - 3) / 2 + 1});
        }
        out.printf("[%s] %s: %.2f GFLOP%n", name, wl.title, flops / 1e9);
        byte[] model = onnx(wl, ws, shapes);
        // nativeext first at both thread counts, so that its peak RSS is its own; then the anchors.
        int[] counts = {1, 2};
        double[][] ne = new double[2][];
        for (int i = 0; i < 2; i++) {
            ne[i] = nativeext(wl, ws, x, shapes, counts[i]);
            out.printf("[%s] nativeext, %d thread(s): min %.2f ms, median %.2f ms, %.0f GFLOP/s (peak RSS %.0f MiB)%n", name, counts[i],
                    ne[i][0], ne[i][1], flops / ne[i][0] / 1e6, BenchUtil.peakRssMb());
        }
        out.printf("[%s] nativeext 2 threads / 1 thread speed-up (min): %.2f%n", name, ne[0][0] / ne[1][0]);
        for (int i = 0; i < 2 && name.equals("conv1x1"); i++) {
            double[] g = sgemm(256, 4200, 1024, counts[i]);
            out.printf("[%s] OpenBLAS sgemm 256x4200x1024 (the same product), %d thread(s): min %.2f ms, median %.2f ms, %.0f GFLOP/s;"
                    + " nativeext/sgemm FLOP rate (min) %.2f%n", name, counts[i], g[0], g[1], flops / g[0] / 1e6, g[0] / ne[i][0]);
        }
        for (int i = 0; i < 2; i++) {
            double[] ort = Anchors.ort(model, x, wl.input, 3, wl.reps, counts[i]);
            out.printf("[%s] ONNX Runtime, %d thread(s): min %.2f ms, median %.2f ms (peak RSS %.0f MiB); nativeext/ORT (min) %.2f%n",
                    name, counts[i], ort[0], ort[1], BenchUtil.peakRssMb(), ne[i][0] / ort[0]);
        }
        for (int i = 0; i < 2; i++) {
            double[] cv = Anchors.opencv(model, x, wl.input, 3, wl.reps, counts[i]);
            out.printf("[%s] OpenCV DNN, %d thread(s): min %.2f ms, median %.2f ms (peak RSS %.0f MiB); nativeext/OpenCV (min) %.2f%n",
                    name, counts[i], cv[0], cv[1], BenchUtil.peakRssMb(), ne[i][0] / cv[0]);
        }
    }

    static double[] nativeext(Workload wl, List<Weights> ws, float[] x, Map<String, long[]> shapes, int threads) {
        CpuOptions.setThreads(threads);
        Map<String, Tensor> vals = new HashMap<>();
        List<Tensor> owned = new ArrayList<>();
        List<PreparedConv2d> prepared = new ArrayList<>();
        try {
            Tensor tx = Tensor.of(x, wl.input);
            owned.add(tx);
            vals.put("x", tx);
            List<Runnable> steps = new ArrayList<>();
            for (int i = 0; i < wl.layers.size(); i++) {
                ConvSpec c = wl.layers.get(i);
                Weights w = ws.get(i);
                Tensor tw = Tensor.of(w.w, c.cout, c.cin, c.k, c.k);
                boolean pool = wl.maxPool && i == wl.layers.size() - 1;
                Tensor out = Tensor.empty(DType.FLOAT32, Device.CPU, shapes.get(pool ? wl.output : c.out));
                owned.add(tw);
                owned.add(out);
                Tensor s = null, t = null;
                if (c.bn) {
                    s = Tensor.of(w.scale, c.cout);
                    t = Tensor.of(w.shift, c.cout);
                    owned.add(s);
                    owned.add(t);
                }
                // weights prepared once, as a model does (and as ORT and OpenCV do at session creation)
                PreparedConv2d conv = Conv2d.prepare(tw, null, Conv2d.Params.of(c.stride, c.pad, 1, 1), s, t);
                prepared.add(conv);
                Tensor in = vals.get(c.in), res = c.residual != null ? vals.get(c.residual) : null;
                boolean relu = c.relu;
                if (pool) {
                    // conv + BN + ReLU + max-pool in one call (the conv output is never stored)
                    steps.add(() -> conv.forwardMaxPool(in, relu, POOL_K, POOL_S, POOL_P, POOL_D, false, out));
                } else {
                    steps.add(() -> conv.forward(in, res, relu, out));
                }
                vals.put(pool ? wl.output : c.out, out);
            }
            return BenchUtil.minMedianMillis(3, wl.reps, () -> {
                for (Runnable s : steps) s.run();
            });
        } finally {
            for (PreparedConv2d c : prepared) c.close();
            for (Tensor t : owned) t.close();
        }
    }

    static byte[] onnx(Workload wl, List<Weights> ws, Map<String, long[]> shapes) {
        List<OnnxModel.Node> nodes = new ArrayList<>();
        List<OnnxModel.Init> inits = new ArrayList<>();
        for (int i = 0; i < wl.layers.size(); i++) {
            ConvSpec c = wl.layers.get(i);
            Weights w = ws.get(i);
            String wn = "W" + i, cur = "conv" + i;
            inits.add(new OnnxModel.Init(wn, new long[] {c.cout, c.cin, c.k, c.k}, w.w));
            nodes.add(new OnnxModel.Node("Conv", List.of(c.in, wn), List.of(cur), Map.of("kernel_shape", new long[] {c.k, c.k},
                    "pads", new long[] {c.pad, c.pad, c.pad, c.pad}, "strides", new long[] {c.stride, c.stride},
                    "dilations", new long[] {1, 1}, "group", 1L)));
            if (c.bn) {
                // scale * (y - 0) / sqrt((1 - eps) + eps) + shift = y * scale + shift
                float[] mean = new float[c.cout], var = new float[c.cout];
                Arrays.fill(var, 1f - 1e-5f);
                inits.add(new OnnxModel.Init("s" + i, new long[] {c.cout}, w.scale));
                inits.add(new OnnxModel.Init("b" + i, new long[] {c.cout}, w.shift));
                inits.add(new OnnxModel.Init("m" + i, new long[] {c.cout}, mean));
                inits.add(new OnnxModel.Init("v" + i, new long[] {c.cout}, var));
                nodes.add(new OnnxModel.Node("BatchNormalization", List.of(cur, "s" + i, "b" + i, "m" + i, "v" + i), List.of("bn" + i),
                        Map.of("epsilon", 1e-5)));
                cur = "bn" + i;
            }
            if (c.residual != null) {
                nodes.add(new OnnxModel.Node("Add", "add" + i, cur, c.residual));
                cur = "add" + i;
            }
            if (c.relu) {
                nodes.add(new OnnxModel.Node("Relu", "relu" + i, cur));
                cur = "relu" + i;
            }
            nodes.add(new OnnxModel.Node("Identity", c.out, cur));
        }
        if (wl.maxPool) {
            String last = wl.layers.get(wl.layers.size() - 1).out;
            nodes.add(new OnnxModel.Node("MaxPool", List.of(last), List.of(wl.output), Map.of("kernel_shape", new long[] {3, 3},
                    "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2})));
        }
        return OnnxModel.graph("layers", 17, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, wl.input)),
                List.of(new OnnxModel.Io(wl.output, OnnxModel.FLOAT, shapes.get(wl.output))), nodes, inits);
    }



    static double[] sgemm(int m, int n, int k, int threads) {
        // openblas_set_num_threads itself: the presets' blas_set_num_threads looks symbols up on every call
        Loader.load(openblas_nolapack.class);
        new org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads() {
        }.put(Loader.addressof("openblas_set_num_threads")).call(threads);
        Random r = new Random(7);
        try (FloatPointer a = new FloatPointer(uniform(r, m * k, 1f)); FloatPointer b = new FloatPointer(uniform(r, k * n, 1f));
             FloatPointer c = new FloatPointer((long) m * n)) {
            return BenchUtil.minMedianMillis(3, 21, () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                    openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans, m, n, k, 1f, a, k, b, n, 0f, c, n));
        }
    }

    static float[] uniform(Random r, int n, float bound) {
        return uniform(r, n, -bound, bound);
    }

    static float[] uniform(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextFloat();
        return v;
    }

    static long numel(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }
}
