package dev.nativeext.bench;

import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.DeformPsRoiPool;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.util.SplittableRandom;

/**
 * Deformable PS-ROI pooling as maskrcnn-benchmark's DeformRoIPoolingPack uses it on the P4 level
 * of docs/ops.md §10: data [1,256,50,84], K = 1000 rois, 7x7, groupSize 1, partSize 7, 4 samples per
 * part, transStd 0.1, float32; forward and backward at 1 and 2 threads. ONNX Runtime has no such
 * op, so there is no anchor in this run.
 */
public final class DeformPsRoiPoolBench {

    private DeformPsRoiPoolBench() {
    }

    public static void main(String[] args) {
        run(System.out);
    }

    public static void run(PrintStream out) {
        int k = 1000;
        float[] r = new float[k * 5];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < k; i++) {
            float x1 = (float) rnd.nextDouble(0, 1200), y1 = (float) rnd.nextDouble(0, 700);
            r[i * 5 + 1] = x1;
            r[i * 5 + 2] = y1;
            r[i * 5 + 3] = x1 + (float) rnd.nextDouble(16, 300);
            r[i * 5 + 4] = y1 + (float) rnd.nextDouble(16, 300);
        }
        DeformPsRoiPool.Params p = new DeformPsRoiPool.Params(1.0 / 16, 256, 7, 7, 1, 4, 0.1);
        try (Tensor data = Tensor.uniform(1, 0, 1, 1, 256, 50, 84); Tensor rois = Tensor.of(r, k, 5);
             Tensor trans = Tensor.uniform(2, -1, 1, k, 2, 7, 7)) {
            for (int threads : new int[] {1, 2}) {
                CpuOptions.setThreads(threads);
                double[] f = BenchUtil.minMedianMillis(2, 15, () -> DeformPsRoiPool.forward(data, rois, trans, p).close());
                out.printf("[deform_psroi_pool] fwd K=1000 [1,256,50,84] 7x7 fp32, %d thread(s): median %.1f ms, min %.1f ms "
                        + "(peak RSS %.0f MiB)%n", threads, f[1], f[0], BenchUtil.peakRssMb());
                try (DeformPsRoiPool.Result res = DeformPsRoiPool.forward(data, rois, trans, p)) {
                    double[] b = BenchUtil.minMedianMillis(2, 11,
                            () -> DeformPsRoiPool.backward(res.output(), data, rois, trans, res.topCount(), p).close());
                    out.printf("[deform_psroi_pool] bwd, %d thread(s): median %.1f ms, min %.1f ms (peak RSS %.0f MiB)%n", threads,
                            b[1], b[0], BenchUtil.peakRssMb());
                }
            }
        }
    }
}
