package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.SigmoidFocalLoss;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * RetinaNet's focal loss for one 800×1333 image (docs/ops.md §10): 201,600 anchors × 80 classes =
 * 16.1M logits, float32, maskrcnn-benchmark labels, forward and backward at 1 and 2 threads.
 * ONNX Runtime has no focal-loss op; the anchor is torchvision's own formula
 * ({@code torchvision.ops.sigmoid_focal_loss}, reduction none: sigmoid, BCE with logits, p_t,
 * (1-p_t)^gamma, alpha_t, element-wise ops one after another) as an ONNX graph of ORT's vectorised
 * element-wise kernels, on the same inputs with dense 0/1 targets, forward only.
 */
public final class SigmoidFocalLossBench {

    private SigmoidFocalLossBench() {
    }

    public static void run(PrintStream out) {
        int n = 201_600, c = 80;
        Random r = new Random(3);
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(100) < 2 ? 1 + r.nextInt(c) : r.nextInt(100) < 5 ? -1 : 0;
        try (Tensor x = Tensor.normal(7, 0f, 3f, n, c); Tensor t = Tensor.of(labels, n); Tensor g = Tensor.normal(8, 1f, 0.1f, n, c)) {
            out.println("[sigmoid_focal_loss] N=" + n + " C=" + c + " float32 labels; median ms of 5 runs after 2 warm-up");
            for (int threads : new int[]{1, 2}) {
                CpuOptions.setThreads(threads);
                double f = BenchUtil.medianMillis(2, 5, () -> SigmoidFocalLoss.forward(x, t, 2, 0.25).close());
                double b = BenchUtil.medianMillis(2, 5, () -> SigmoidFocalLoss.backward(x, t, 2, 0.25, g).close());
                out.printf(Locale.ROOT, "[sigmoid_focal_loss] threads=%d forward %8.1f ms  backward %8.1f ms  (%.1f ns/element fwd)%n",
                        threads, f, b, f * 1e6 / ((double) n * c));
            }
            try (Tensor dense = denseTargets(labels, c)) {
                for (int threads : new int[]{1, 2}) {
                    CpuOptions.setThreads(threads);
                    double f = BenchUtil.medianMillis(2, 5, () -> SigmoidFocalLoss.forward(x, dense, 2, 0.25).close());
                    double o = ort(x, dense, n, c, threads);
                    out.printf(Locale.ROOT, "[sigmoid_focal_loss] dense 0/1 targets, threads=%d: nativeext forward %8.1f ms;"
                            + " torchvision's formula on ONNX Runtime %8.1f ms%n", threads, f, o);
                }
            }
            out.printf(Locale.ROOT, "[sigmoid_focal_loss] peak RSS %.0f MiB%n", BenchUtil.peakRssMb());
        }
    }

    /** Labels as torchvision's dense targets: row i has a 1 in column label-1 (ignored rows: all 0). */
    static Tensor denseTargets(long[] labels, int c) {
        float[] d = new float[labels.length * c];
        for (int i = 0; i < labels.length; i++) if (labels[i] > 0) d[i * c + (int) labels[i] - 1] = 1;
        return Tensor.of(d, labels.length, c);
    }

    /** torchvision.ops.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction="none") as ONNX nodes. */
    static double ort(Tensor x, Tensor t, int n, int c, int threads) {
        List<OnnxModel.Node> g = new ArrayList<>();
        g.add(new OnnxModel.Node("Sigmoid", "p", "x"));
        // BCE with logits, stable: relu(x) - x t + log(1 + exp(-|x|))
        g.add(new OnnxModel.Node("Relu", "rx", "x"));
        g.add(new OnnxModel.Node("Mul", "xt", "x", "t"));
        g.add(new OnnxModel.Node("Abs", "ax", "x"));
        g.add(new OnnxModel.Node("Neg", "nax", "ax"));
        g.add(new OnnxModel.Node("Softplus", "sp", "nax"));
        g.add(new OnnxModel.Node("Sub", "d", "rx", "xt"));
        g.add(new OnnxModel.Node("Add", "ce", "d", "sp"));
        // p_t = p t + (1 - p)(1 - t); loss = ce (1 - p_t)^gamma
        g.add(new OnnxModel.Node("Sub", "q", "one", "p"));
        g.add(new OnnxModel.Node("Sub", "u", "one", "t"));
        g.add(new OnnxModel.Node("Mul", "pt1", "p", "t"));
        g.add(new OnnxModel.Node("Mul", "pt0", "q", "u"));
        g.add(new OnnxModel.Node("Add", "pt", "pt1", "pt0"));
        g.add(new OnnxModel.Node("Sub", "m", "one", "pt"));
        g.add(new OnnxModel.Node("Pow", "w", "m", "gamma"));
        g.add(new OnnxModel.Node("Mul", "l", "ce", "w"));
        // alpha_t = alpha t + (1 - alpha)(1 - t)
        g.add(new OnnxModel.Node("Mul", "a1", "alpha", "t"));
        g.add(new OnnxModel.Node("Mul", "a0", "beta", "u"));
        g.add(new OnnxModel.Node("Add", "at", "a1", "a0"));
        g.add(new OnnxModel.Node("Mul", "loss", "at", "l"));
        long[] shape = {n, c}, one = {1};
        List<OnnxModel.Io> ins = List.of(new OnnxModel.Io("x", OnnxModel.FLOAT, shape), new OnnxModel.Io("t", OnnxModel.FLOAT, shape),
                new OnnxModel.Io("one", OnnxModel.FLOAT, one), new OnnxModel.Io("gamma", OnnxModel.FLOAT, one),
                new OnnxModel.Io("alpha", OnnxModel.FLOAT, one), new OnnxModel.Io("beta", OnnxModel.FLOAT, one));
        byte[] model = OnnxModel.graph("sigmoid_focal_loss", 17, ins,
                List.of(new OnnxModel.Io("loss", OnnxModel.FLOAT, shape)), g);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = BenchUtil.ortSession(model, threads);
             OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), shape);
             OnnxTensor tt = OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), shape);
             OnnxTensor o1 = scalar(env, 1f); OnnxTensor gm = scalar(env, 2f); OnnxTensor al = scalar(env, 0.25f);
             OnnxTensor be = scalar(env, 0.75f)) {
            Map<String, OnnxTensor> feeds = Map.of("x", xt, "t", tt, "one", o1, "gamma", gm, "alpha", al, "beta", be);
            return BenchUtil.medianMillis(2, 5, () -> {
                try (OrtSession.Result r = s.run(feeds)) {
                    r.get(0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("ONNX Runtime focal-loss graph failed", e);
        }
    }

    private static OnnxTensor scalar(OrtEnvironment env, float v) throws Exception {
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{v}), new long[]{1});
    }
}
