package dev.nativeext.bench;

import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.RoiPool;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;

/** ROIPool on the ROIAlign workload (7x7, scale 0.25), 1 and 2 threads. ONNX's MaxRoiPool is not run. */
public final class RoiPoolBench {

    private RoiPoolBench() {}

    public static void run(PrintStream out) {
        int k = 1000;
        try (Tensor in = Tensor.uniform(1, 0f, 1f, 1, 256, 200, 200); Tensor r = Tensor.of(RoiAlignBench.rois(k, 2), k, 5);
             Tensor g = Tensor.uniform(3, -1f, 1f, k, 256, 7, 7); RoiPool.Result res = RoiPool.forward(in, r, 7, 7, 0.25)) {
            for (int t : new int[] {1, 2}) {
                CpuOptions.setThreads(t);
                double f = BenchUtil.medianMillis(1, 5, () -> RoiPool.forward(in, r, 7, 7, 0.25).close());
                double b = BenchUtil.medianMillis(1, 5, () -> RoiPool.backward(g, res.argmax(), r, 1, 256, 200, 200).close());
                out.printf("roi_pool 7x7 threads=%d  forward %.1f ms  backward %.1f ms%n", t, f, b);
            }
        }
        out.printf("roi_pool peak RSS %.0f MB%n", BenchUtil.peakRssMb());
    }
}
