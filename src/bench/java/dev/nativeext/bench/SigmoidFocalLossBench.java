package dev.nativeext.bench;

import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.SigmoidFocalLoss;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;

/**
 * RetinaNet's focal loss for one 800×1333 image (ops.md §10): 201,600 anchors × 80 classes =
 * 16.1M logits, float32, maskrcnn-benchmark labels, forward and backward at 1 and 2 threads.
 * ONNX Runtime has no focal-loss op, so there is no anchor in this run.
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
            out.println("[sigmoid_focal_loss] onnxruntime: no such op (no anchor)");
            out.printf(Locale.ROOT, "[sigmoid_focal_loss] peak RSS %.0f MiB%n", BenchUtil.peakRssMb());
        }
    }
}
