package dev.nativeext.bench;

import ai.onnxruntime.OrtException;
import dev.nativeext.model.Backbone;
import dev.nativeext.model.LayerProfile;
import dev.nativeext.model.Parameter;
import dev.nativeext.model.TorchvisionResNet;
import dev.nativeext.model.Weights;
import dev.nativeext.model.config.BackboneConfig;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.tensor.HostMemory;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Whole-network benchmarks of issue 13: {@code java -cp ... dev.nativeext.bench.ResNetBench
 * [resnet50|r50fpn]}: torchvision's resnet50 at 224² (logits), and maskrcnn-benchmark's R-50-FPN
 * body + FPN at 800×1344 (P2..P6), float32, batch 1, 1 and 2 threads, with ONNX Runtime and
 * OpenCV's DNN module running the same network with the same (seeded) weights in the same run:
 * the ONNX graph is written here from the model's own parameters (Conv, BatchNormalization,
 * Relu, Add, MaxPool, Resize nearest, GlobalAveragePool, Gemm). Prints min / median and the
 * process's peak RSS after each engine.
 */
public final class ResNetBench {

    private ResNetBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> names = args.length == 0 ? List.of("resnet50", "r50fpn") : Arrays.asList(args);
        PrintStream out = System.out;
        BenchUtil.header(out, "resnet " + names);
        for (String n : names) {
            switch (n) {
                case "resnet50" -> resnet50(out);
                case "r50fpn" -> r50fpn(out);
                case "profile" -> profile(out);
                default -> {
                    System.err.println("unknown workload '" + n + "'; expected resnet50, r50fpn or profile");
                    System.exit(2);
                }
            }
        }
        out.printf("peak RSS %.1f MiB%n", BenchUtil.peakRssMb());
    }

    static void resnet50(PrintStream out) throws OrtException {
        try (TorchvisionResNet net = TorchvisionResNet.resnet50()) {
            Weights.seed(1, net.parameters(), net::prepare);
            long[] shape = {1, 3, 224, 224};
            float[] x;
            try (Tensor t = Tensor.uniform(2, -2, 2, shape)) {
                x = t.toFloatArray();
            }
            Graph g = new Graph(net.parameters(), 1e-5);
            String h = g.stem("x", "body.stem.");
            h = g.stages(h, new int[] {3, 4, 6, 3}, false);
            g.nodes.add(new OnnxModel.Node("GlobalAveragePool", "gap", h));
            g.nodes.add(new OnnxModel.Node("Flatten", "flat", "gap"));
            g.init("fc.weight");
            g.init("fc.bias");
            g.nodes.add(new OnnxModel.Node("Gemm", List.of("flat", "fc.weight", "fc.bias"), List.of("logits"), Map.of("transB", 1L)));
            byte[] model = g.model(shape, List.of(new OnnxModel.Io("logits", OnnxModel.FLOAT, new long[] {1, 1000})));
            compare(out, "resnet50 224x224", model, x, shape, 2, 9, 3, threads -> forwardRunner(threads, x, shape,
                    in -> net.forward(in).close()));
            try (Tensor in = Tensor.of(x, shape)) {
                long[] w = weightBytes(net.parameters(), in, () -> net.forward(in).close());
                out.printf("[resnet50 224x224] weights %.1f MiB, %.1f MiB with their prepared layouts%n", w[0] / 1048576.0,
                        w[1] / 1048576.0);
            }
        }
    }

    /**
     * {the parameters' bytes, the bytes live tensors hold after a forward on {@code in} minus the
     * input's}: the weights with the layouts the forward prepared (its outputs closed).
     */
    static long[] weightBytes(Map<String, Parameter> parameters, Tensor in, Runnable forward) {
        long weights = 0;
        for (var p : parameters.values()) weights += p.value().numel() * Float.BYTES;
        forward.run(); // prepared weights exist from the first forward on (in the timed runs too)
        return new long[] {weights, HostMemory.liveBytes() - in.numel() * Float.BYTES};
    }

    /**
     * {@code profile}: torchvision's resnet50 at 224², 1 and 2 threads, the time of every
     * convolution (with its folded BN, residual and ReLU) from {@link LayerProfile}, minimum over
     * 7 passes, beside the whole forward's min / median.
     */
    static void profile(PrintStream out) {
        try (TorchvisionResNet net = TorchvisionResNet.resnet50()) {
            Weights.seed(1, net.parameters(), net::prepare);
            long[] shape = {1, 3, 224, 224};
            try (Tensor in = Tensor.uniform(2, -2, 2, shape)) {
                for (int threads : new int[] {1, 2}) {
                    CpuOptions.setThreads(threads);
                    double[] whole = BenchUtil.minMedianMillis(2, 7, () -> net.forward(in).close());
                    LayerProfile p = LayerProfile.start();
                    double[] wall = new double[7];
                    try {
                        for (int i = 0; i < 7; i++) {
                            long t0 = System.nanoTime();
                            net.forward(in).close();
                            wall[i] = (System.nanoTime() - t0) / 1e6;
                        }
                    } finally {
                        LayerProfile.stop();
                    }
                    out.printf("[resnet50 224x224 profile, %d thread(s)] whole forward: min %.1f ms, median %.1f ms%n", threads, whole[0],
                            whole[1]);
                    double outside = Double.MAX_VALUE;
                    for (int i = 0; i < 7; i++) outside = Math.min(outside, wall[i] - p.passMillis(i));
                    out.printf("outside the timed layers (a profiled pass's wall time minus its layers' times, least of 7): %.2f ms%n",
                            outside);
                    p.print(out, 12);
                }
            }
        }
    }

    static void r50fpn(PrintStream out) throws OrtException {
        BackboneConfig cfg = BackboneConfig.defaults().with("MODEL.BACKBONE.CONV_BODY", "R-50-FPN")
                .with("MODEL.RESNETS.BACKBONE_OUT_CHANNELS", 256);
        try (Backbone b = Backbone.build(cfg)) {
            Weights.seed(1, b);
            long[] shape = {1, 3, 800, 1344};
            float[] x;
            try (Tensor t = Tensor.uniform(2, -2, 2, shape)) {
                x = t.toFloatArray();
            }
            Graph g = new Graph(b.parameters(), 0.0);
            String h = g.stem("x", "body.stem.");
            List<String> c = new ArrayList<>();
            int[] blocks = {3, 4, 6, 3};
            for (int s = 0; s < 4; s++) {
                for (int j = 0; j < blocks[s]; j++) h = g.bottleneck(h, "body.layer" + (s + 1) + "." + j + ".", j == 0 && s > 0 ? 2 : 1, true);
                c.add(h);
            }
            String last = g.conv(c.get(3), "fpn.fpn_inner4", 1, 0, true);
            List<String> outs = new ArrayList<>();
            outs.add(g.conv(last, "fpn.fpn_layer4", 1, 1, true));
            g.inits.add(new OnnxModel.Init("scales2", new long[] {4}, new float[] {1, 1, 2, 2}));
            for (int i = 3; i >= 1; i--) {
                String up = "up" + i;
                g.nodes.add(new OnnxModel.Node("Resize", List.of(last, "", "scales2"), List.of(up), Map.of("mode", "nearest",
                        "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor")));
                String lat = g.conv(c.get(i - 1), "fpn.fpn_inner" + i, 1, 0, true);
                last = "td" + i;
                g.nodes.add(new OnnxModel.Node("Add", last, lat, up));
                outs.add(0, g.conv(last, "fpn.fpn_layer" + i, 1, 1, true));
            }
            g.nodes.add(new OnnxModel.Node("MaxPool", List.of(outs.get(3)), List.of("p6"), Map.of("kernel_shape", new long[] {1, 1},
                    "strides", new long[] {2, 2})));
            outs.add("p6");
            List<OnnxModel.Io> ios = new ArrayList<>();
            long[][] sizes = {{200, 336}, {100, 168}, {50, 84}, {25, 42}, {13, 21}};
            for (int i = 0; i < 5; i++) {
                g.nodes.add(new OnnxModel.Node("Identity", "P" + (i + 2), outs.get(i)));
                ios.add(new OnnxModel.Io("P" + (i + 2), OnnxModel.FLOAT, new long[] {1, 256, sizes[i][0], sizes[i][1]}));
            }
            byte[] model = g.model(shape, ios);
            compare(out, "R-50-FPN body + FPN 800x1344", model, x, shape, 1, 3, 1, threads -> forwardRunner(threads, x, shape,
                    in -> b.forward(in).forEach(Tensor::close)));
            // Issue 13's memory goal, by the bytes tensors hold: peak <= weights + 1.5 x the two largest
            // activations (stem conv output and C2 / P2: 16·H·W floats each), the input counted with the weights.
            try (Tensor in = Tensor.of(x, shape)) {
                long[] w = weightBytes(b.parameters(), in, () -> b.forward(in).forEach(Tensor::close));
                long weights = w[0], before = HostMemory.liveBytes();
                HostMemory.resetPeak();
                b.forward(in).forEach(Tensor::close);
                long peak = HostMemory.peakBytes() - before, largestTwo = 2L * 16 * shape[2] * shape[3] * Float.BYTES;
                out.printf("[R-50-FPN body + FPN 800x1344] tensor memory: weights %.1f MiB (%.1f MiB with their prepared layouts),"
                        + " peak above those and the input %.1f MiB = %.2f x the two largest activations (%.1f MiB; goal <= 1.5)%n",
                        weights / 1048576.0, w[1] / 1048576.0, peak / 1048576.0,
                        peak / (double) largestTwo, largestTwo / 1048576.0);
            }
        }
    }

    /** Our forward pass at {@code threads} threads (set before each pass), on its own input. */
    interface Ours {
        Anchors.Runner runner(int threads);
    }

    /** A runner of {@code forward} on a tensor of {@code x}, with {@code threads} threads; closing it frees the input. */
    static Anchors.Runner forwardRunner(int threads, float[] x, long[] shape, java.util.function.Consumer<Tensor> forward) {
        Tensor in = Tensor.of(x, shape);
        return new Anchors.Runner() {
            @Override
            public void run() {
                CpuOptions.setThreads(threads);   /* a process-wide setting: the other thread count's runner takes turns */
                forward.accept(in);
            }

            @Override
            public void close() {
                in.close();
            }
        };
    }

    /**
     * nativeext, ONNX Runtime and OpenCV on the same graph, weights and input, at 1 and 2 threads:
     * {@code warmup} untimed runs each, then {@code rounds} rounds in which each of the six
     * (contender, thread count) runs {@code perRound} timed passes in turn (see
     * {@link BenchUtil#interleavedMinMedianMillis}). One thread and two take turns in the same
     * rounds, so that the two-thread speedup (issue 13: at least 1.8x) compares passes from the
     * same spells of this shared host; measured in two blocks one after the other, the host's
     * drift between them moved the ratio by more than a tenth (resnet50: 1.65-1.88x in eight runs).
     */
    static void compare(PrintStream out, String title, byte[] model, float[] x, long[] shape, int warmup, int rounds, int perRound,
                        Ours ours) throws OrtException {
        out.printf("[%s] ONNX model %.1f MB; %d rounds of %d pass(es) each, the three contenders at 1 and 2 threads taking turns%n",
                title, model.length / 1e6, rounds, perRound);
        int[] threadCounts = {1, 2};
        List<Anchors.Runner> runners = new ArrayList<>();
        double[][] ms;
        try {
            for (int threads : threadCounts) {
                runners.add(ours.runner(threads));
                runners.add(Anchors.ortRunner(model, x, shape, threads));
                runners.add(Anchors.opencvRunner(model, x, shape, threads));
            }
            ms = BenchUtil.interleavedMillis(warmup, rounds, perRound, runners);
        } finally {
            for (Anchors.Runner runner : runners) runner.close();
        }
        double[][] r = new double[ms.length][];
        for (int c = 0; c < ms.length; c++) r[c] = BenchUtil.minMedian(ms[c]);
        for (int i = 0; i < threadCounts.length; i++) {
            int threads = threadCounts[i];
            double[] ne = r[3 * i], ort = r[3 * i + 1], cv = r[3 * i + 2];
            out.printf("[%s] nativeext, %d thread(s): min %.1f ms, median %.1f ms%n", title, threads, ne[0], ne[1]);
            out.printf("[%s] ONNX Runtime, %d thread(s): min %.1f ms, median %.1f ms; nativeext/ORT (min) %.2f%n", title, threads, ort[0],
                    ort[1], ne[0] / ort[0]);
            out.printf("[%s] OpenCV DNN, %d thread(s): min %.1f ms, median %.1f ms; nativeext/OpenCV (min) %.2f%n", title, threads, cv[0],
                    cv[1], ne[0] / cv[0]);
        }
        out.printf("[%s] 2 threads vs 1 (min over the same rounds): nativeext %.2fx, ONNX Runtime %.2fx, OpenCV DNN %.2fx%n", title,
                r[0][0] / r[3][0], r[1][0] / r[4][0], r[2][0] / r[5][0]);
        out.printf("[%s] 2 threads vs 1 (median over the %d rounds of the round's ratio of minima): nativeext %.2fx, ONNX Runtime %.2fx,"
                + " OpenCV DNN %.2fx%n", title, rounds, BenchUtil.medianRoundRatio(ms[0], ms[3], perRound),
                BenchUtil.medianRoundRatio(ms[1], ms[4], perRound), BenchUtil.medianRoundRatio(ms[2], ms[5], perRound));
        out.printf("[%s] peak RSS of the process so far %.0f MiB (all six runners loaded)%n", title, BenchUtil.peakRssMb());
    }

    /** An ONNX graph written from a module tree's parameters (PyTorch names). */
    static final class Graph {
        final Map<String, Parameter> p;
        final double eps;
        final List<OnnxModel.Node> nodes = new ArrayList<>();
        final List<OnnxModel.Init> inits = new ArrayList<>();
        private int n;

        Graph(Map<String, Parameter> p, double eps) {
            this.p = p;
            this.eps = eps;
        }

        void init(String name) {
            Tensor t = p.get(name).value();
            inits.add(new OnnxModel.Init(name, t.shape(), t.toFloatArray()));
        }

        String conv(String in, String prefix, int stride, int pad, boolean bias) {
            init(prefix + ".weight");
            List<String> ins = new ArrayList<>(List.of(in, prefix + ".weight"));
            if (bias) {
                init(prefix + ".bias");
                ins.add(prefix + ".bias");
            }
            long k = p.get(prefix + ".weight").shape()[2];
            String o = "v" + (n++);
            nodes.add(new OnnxModel.Node("Conv", ins, List.of(o), Map.of("kernel_shape", new long[] {k, k},
                    "pads", new long[] {pad, pad, pad, pad}, "strides", new long[] {stride, stride}, "group", 1L)));
            return o;
        }

        String bn(String in, String prefix) {
            for (String s : List.of(".weight", ".bias", ".running_mean", ".running_var")) init(prefix + s);
            String o = "v" + (n++);
            nodes.add(new OnnxModel.Node("BatchNormalization", List.of(in, prefix + ".weight", prefix + ".bias", prefix + ".running_mean",
                    prefix + ".running_var"), List.of(o), Map.of("epsilon", eps)));
            return o;
        }

        String relu(String in) {
            String o = "v" + (n++);
            nodes.add(new OnnxModel.Node("Relu", o, in));
            return o;
        }

        String stem(String in, String prefix) {
            String h = relu(bn(conv(in, prefix + "conv1", 2, 3, false), prefix + "bn1"));
            String o = "v" + (n++);
            nodes.add(new OnnxModel.Node("MaxPool", List.of(h), List.of(o), Map.of("kernel_shape", new long[] {3, 3},
                    "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1})));
            return o;
        }

        String stages(String h, int[] blocks, boolean strideIn1x1) {
            for (int s = 0; s < blocks.length; s++) {
                for (int j = 0; j < blocks[s]; j++) h = bottleneck(h, "body.layer" + (s + 1) + "." + j + ".", j == 0 && s > 0 ? 2 : 1, strideIn1x1);
            }
            return h;
        }

        String bottleneck(String x, String prefix, int stride, boolean strideIn1x1) {
            String a = relu(bn(conv(x, prefix + "conv1", strideIn1x1 ? stride : 1, 0, false), prefix + "bn1"));
            String b = relu(bn(conv(a, prefix + "conv2", strideIn1x1 ? 1 : stride, 1, false), prefix + "bn2"));
            String c = bn(conv(b, prefix + "conv3", 1, 0, false), prefix + "bn3");
            String id = p.containsKey(prefix + "downsample.0.weight")
                    ? bn(conv(x, prefix + "downsample.0", stride, 0, false), prefix + "downsample.1") : x;
            String o = "v" + (n++);
            nodes.add(new OnnxModel.Node("Add", o, c, id));
            return relu(o);
        }

        byte[] model(long[] shape, List<OnnxModel.Io> outputs) {
            return OnnxModel.graph("resnet", 17, List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, shape)), outputs, nodes, inits);
        }
    }
}
