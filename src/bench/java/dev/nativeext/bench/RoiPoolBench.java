package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.RoiPool;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * ROIPool on the ROIAlign workload (input [1,256,200,200] float32, 1000 rois, 7x7, scale 0.25), 1
 * and 2 threads, min and median; ONNX Runtime's MaxRoiPool (opset 17: rois [K,5] = batch index,
 * x1, y1, x2, y2; pooled_shape; spatial_scale) on the same data in the same run as the anchor.
 */
public final class RoiPoolBench {

    private RoiPoolBench() {}

    public static void run(PrintStream out) throws Exception {
        int k = 1000;
        try (Tensor in = Tensor.uniform(1, 0f, 1f, 1, 256, 200, 200); Tensor r = Tensor.of(RoiAlignBench.rois(k, 2), k, 5);
             Tensor g = Tensor.uniform(3, -1f, 1f, k, 256, 7, 7); RoiPool.Result res = RoiPool.forward(in, r, 7, 7, 0.25)) {
            for (int t : new int[] {1, 2}) {
                CpuOptions.setThreads(t);
                double[] f = BenchUtil.minMedianMillis(1, 7, () -> RoiPool.forward(in, r, 7, 7, 0.25).close());
                double[] b = BenchUtil.minMedianMillis(1, 7, () -> RoiPool.backward(g, res.argmax(), r, 1, 256, 200, 200).close());
                out.printf("roi_pool 7x7 threads=%d  forward %s  backward %s%n", t, RoiAlignBench.fmt(f), RoiAlignBench.fmt(b));
            }
            for (int t : new int[] {1, 2}) out.printf("roi_pool 7x7 ONNX Runtime MaxRoiPool threads=%d  forward %s%n", t, RoiAlignBench.fmt(ort(in, r, k, t)));
        }
        out.printf("roi_pool peak RSS %.0f MB%n", BenchUtil.peakRssMb());
    }

    static double[] ort(Tensor in, Tensor r, int k, int threads) throws Exception {
        byte[] model = OnnxModel.model("MaxRoiPool", "", 17,
                List.of(new OnnxModel.Io("X", OnnxModel.FLOAT, new long[] {1, 256, 200, 200}),
                        new OnnxModel.Io("rois", OnnxModel.FLOAT, new long[] {k, 5})),
                List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {k, 256, 7, 7})),
                Map.of("pooled_shape", new long[] {7, 7}, "spatial_scale", 0.25));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = BenchUtil.ortSession(model, threads);
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in.toFloatArray()), new long[] {1, 256, 200, 200});
             OnnxTensor rr = OnnxTensor.createTensor(env, FloatBuffer.wrap(r.toFloatArray()), new long[] {k, 5})) {
            Map<String, OnnxTensor> feeds = Map.of("X", x, "rois", rr);
            return BenchUtil.minMedianMillis(1, 5, () -> {
                try (OrtSession.Result res = s.run(feeds)) {
                    res.get(0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
        }
    }
}
