package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.Nms;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * NMS of 5000 boxes at IoU 0.7, float32 (docs/ops.md §10: an RPN level / TV's batched RPN call):
 * detector-like clustered boxes (centres in 800×800, sizes 16–400, jittered copies around
 * cluster centres so that suppression happens) and uniform random boxes (ONNX Runtime's anchor
 * case). Ours at 1 and 2 threads and per SIMD variant, against ONNX Runtime's NonMaxSuppression
 * in the same run. Also batched NMS over 5 categories (TV's one-call RPN).
 */
public final class NmsBench {

    private static final int N = 5000;
    private static final double THR = 0.7;

    private NmsBench() {
    }

    static float[][] workload(boolean clustered, long seed) {
        Random r = new Random(seed);
        float[] b = new float[4 * N];
        float[] s = new float[N];
        int clusters = N / 20;
        double[][] centres = new double[clusters][];
        for (int c = 0; c < clusters; c++) centres[c] = new double[]{r.nextDouble() * 800, r.nextDouble() * 800, 16 + r.nextDouble() * 384};
        for (int i = 0; i < N; i++) {
            double x, y, w, h;
            if (clustered) {
                double[] c = centres[r.nextInt(clusters)];
                w = c[2] * (0.8 + 0.4 * r.nextDouble());
                h = c[2] * (0.5 + r.nextDouble());
                x = c[0] + r.nextGaussian() * c[2] * 0.1 - w / 2;
                y = c[1] + r.nextGaussian() * c[2] * 0.1 - h / 2;
            } else {
                x = r.nextDouble() * 800;
                y = r.nextDouble() * 800;
                w = 16 + r.nextDouble() * 384;
                h = 16 + r.nextDouble() * 384;
            }
            b[4 * i] = (float) x;
            b[4 * i + 1] = (float) y;
            b[4 * i + 2] = (float) (x + w);
            b[4 * i + 3] = (float) (y + h);
            s[i] = r.nextFloat();
        }
        return new float[][]{b, s};
    }

    public static void run(PrintStream out) throws Exception {
        out.println("[nms] N=" + N + " IoU " + THR + " float32; median ms of 31 runs after 10 warm-up");
        for (boolean clustered : new boolean[]{true, false}) {
            float[][] w = workload(clustered, 42);
            String name = clustered ? "clustered" : "uniform";
            try (Tensor b = Tensor.of(w[0], N, 4); Tensor s = Tensor.of(w[1], N)) {
                long kept;
                try (Tensor k = Nms.nms(b, s, THR)) {
                    kept = k.numel();
                }
                for (int threads : new int[]{1, 2}) {
                    CpuOptions.setThreads(threads);
                    for (CpuOptions.Isa isa : new CpuOptions.Isa[]{CpuOptions.Isa.AUTO, CpuOptions.Isa.BASELINE, CpuOptions.Isa.AVX2, CpuOptions.Isa.AVX512}) {
                        if (threads == 2 && isa != CpuOptions.Isa.AUTO) continue;
                        CpuOptions.setIsa(isa);
                        double ms = BenchUtil.medianMillis(10, 31, () -> Nms.nms(b, s, THR).close());
                        out.printf(Locale.ROOT, "[nms] %-9s nativeext threads=%d isa=%-8s %8.3f ms  (kept %d)%n", name, threads, isa, ms, kept);
                    }
                }
                CpuOptions.setIsa(CpuOptions.Isa.AUTO);
                CpuOptions.setThreads(1);
                long[] cls = new long[N];
                for (int i = 0; i < N; i++) cls[i] = i % 5;
                try (Tensor idx = Tensor.of(cls, N)) {
                    double ms = BenchUtil.medianMillis(10, 31, () -> Nms.batchedNms(b, s, idx, THR).close());
                    out.printf(Locale.ROOT, "[nms] %-9s nativeext batched (5 categories) threads=1 %8.3f ms%n", name, ms);
                }
                for (int threads : new int[]{1, 2}) ort(out, name, w, threads, kept);
            }
        }
        out.printf(Locale.ROOT, "[nms] peak RSS %.0f MiB%n", BenchUtil.peakRssMb());
    }

    /** ONNX Runtime's NonMaxSuppression (opset 11): boxes [1,N,4], scores [1,1,N], keep up to N. */
    private static void ort(PrintStream out, String name, float[][] w, int threads, long keptOurs) throws Exception {
        byte[] model = OnnxModel.model("NonMaxSuppression", "", 11,
                List.of(new OnnxModel.Io("boxes", OnnxModel.FLOAT, new long[]{1, N, 4}),
                        new OnnxModel.Io("scores", OnnxModel.FLOAT, new long[]{1, 1, N}),
                        new OnnxModel.Io("max_output_boxes_per_class", OnnxModel.INT64, new long[]{1}),
                        new OnnxModel.Io("iou_threshold", OnnxModel.FLOAT, new long[]{1})),
                List.of(new OnnxModel.Io("selected_indices", OnnxModel.INT64, new long[]{-1, 3})),
                Map.of("center_point_box", 0L));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession sess = BenchUtil.ortSession(model, threads);
             OnnxTensor bx = OnnxTensor.createTensor(env, FloatBuffer.wrap(w[0]), new long[]{1, N, 4});
             OnnxTensor sc = OnnxTensor.createTensor(env, FloatBuffer.wrap(w[1]), new long[]{1, 1, N});
             OnnxTensor mx = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[]{N}), new long[]{1});
             OnnxTensor th = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{(float) THR}), new long[]{1})) {
            Map<String, OnnxTensor> feeds = Map.of("boxes", bx, "scores", sc, "max_output_boxes_per_class", mx, "iou_threshold", th);
            long kept;
            try (OrtSession.Result res = sess.run(feeds)) {
                kept = ((long[][]) res.get(0).getValue()).length;
            }
            double ms = BenchUtil.medianMillis(5, 15, () -> {
                try (OrtSession.Result res = sess.run(feeds)) {
                    res.get(0);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            out.printf(Locale.ROOT, "[nms] %-9s onnxruntime threads=%d            %8.3f ms  (kept %d%s)%n", name, threads, ms, kept,
                    kept == keptOurs ? ", same count" : ", ours " + keptOurs);
        }
    }
}
