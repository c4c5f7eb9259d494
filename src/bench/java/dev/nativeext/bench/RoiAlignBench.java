package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.RoiAlign;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The ROIAlign workload: input [1,256,200,200] float32, 1000 rois of 16-400 px in an
 * 800x800 image, scale 0.25, sampling ratio 2, aligned, 7x7 and 14x14, forward and backward, at
 * 1 and 2 threads; ONNX Runtime's RoiAlign (half_pixel = aligned) on the same data in the same run.
 */
public final class RoiAlignBench {

    private RoiAlignBench() {}

    static float[] rois(int k, long seed) {
        Random rnd = new Random(seed);
        float[] r = new float[k * 5];
        for (int i = 0; i < k; i++) {
            float s = 16 + rnd.nextFloat() * 384, a = 0.5f + rnd.nextFloat();
            float w = Math.min(s * a, 799), h = Math.min(s / a, 799);
            float x = rnd.nextFloat() * (800 - w), y = rnd.nextFloat() * (800 - h);
            r[i * 5 + 1] = x;
            r[i * 5 + 2] = y;
            r[i * 5 + 3] = x + w;
            r[i * 5 + 4] = y + h;
        }
        return r;
    }


    static String fmt(double[] mm) {
        return String.format("min %.1f / median %.1f ms", mm[0], mm[1]);
    }

    public static void run(PrintStream out) throws Exception {
        int k = 1000;
        try (Tensor in = Tensor.uniform(1, 0f, 1f, 1, 256, 200, 200); Tensor r = Tensor.of(rois(k, 2), k, 5)) {
            for (int p : new int[] {7, 14}) {
                try (Tensor g = Tensor.uniform(3, -1f, 1f, k, 256, p, p)) {
                    for (int t : new int[] {1, 2}) {
                        CpuOptions.setThreads(t);
                        double[] f = BenchUtil.minMedianMillis(2, 9, () -> RoiAlign.forward(in, r, p, p, 0.25, 2, true).close());
                        double[] b = BenchUtil.minMedianMillis(1, 7, () -> RoiAlign.backward(g, r, 1, 256, 200, 200, 0.25, 2, true).close());
                        out.printf("roi_align %dx%d threads=%d  forward %s  backward %s  (isa %s)%n", p, p, t, fmt(f), fmt(b), CpuOptions.isa());
                    }
                }
                for (int t : new int[] {1, 2}) out.printf("roi_align %dx%d ONNX Runtime threads=%d  forward %s%n", p, p, t, fmt(ort(in, r, k, p, t)));
            }
        }
        out.printf("roi_align peak RSS %.0f MB%n", BenchUtil.peakRssMb());
    }

    static double[] ort(Tensor in, Tensor r, int k, int p, int threads) throws Exception {
        byte[] model = OnnxModel.model("RoiAlign", "", 16,
                List.of(new OnnxModel.Io("X", OnnxModel.FLOAT, new long[] {1, 256, 200, 200}),
                        new OnnxModel.Io("rois", OnnxModel.FLOAT, new long[] {k, 4}),
                        new OnnxModel.Io("batch_indices", OnnxModel.INT64, new long[] {k})),
                List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {k, 256, p, p})),
                Map.of("mode", "avg", "output_height", (long) p, "output_width", (long) p, "sampling_ratio", 2L,
                        "spatial_scale", 0.25, "coordinate_transformation_mode", "half_pixel"));
        float[] rr = r.toFloatArray(), boxes = new float[k * 4];
        for (int i = 0; i < k; i++) System.arraycopy(rr, i * 5 + 1, boxes, i * 4, 4);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = BenchUtil.ortSession(model, threads);
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in.toFloatArray()), new long[] {1, 256, 200, 200});
             OnnxTensor bx = OnnxTensor.createTensor(env, FloatBuffer.wrap(boxes), new long[] {k, 4});
             OnnxTensor bi = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[k]), new long[] {k})) {
            Map<String, OnnxTensor> feeds = Map.of("X", x, "rois", bx, "batch_indices", bi);
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
