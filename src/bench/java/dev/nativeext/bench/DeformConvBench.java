package dev.nativeext.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.ops.DeformConv2d;
import dev.nativeext.tensor.Tensor;

import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * Deformable convolution v2, the workload: input [1,256,50,50], 3x3, 256 -> 256,
 * padding 1, offset [1,18,50,50], mask [1,9,50,50], bias, float32; forward and backward at 1 and
 * 2 threads, with ONNX Runtime's DeformConv (opset 19) forward
 * in the same run. Peak RSS is the process's so far, printed after each figure. At one thread the
 * calling thread's CPU time of both is printed too (the robust figure on a shared machine).
 */
public final class DeformConvBench {

    private DeformConvBench() {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    public static void run(PrintStream out) throws OrtException {
        final int n = 1, c = 256, h = 50, w = 50, co = 256, k = 3;
        int[] one = {1, 1};
        try (Tensor x = Tensor.uniform(1, -1, 1, n, c, h, w); Tensor off = Tensor.uniform(2, -2, 2, n, 2 * k * k, h, w);
             Tensor mask = Tensor.uniform(3, 0, 1, n, k * k, h, w); Tensor wt = Tensor.uniform(4, -0.05f, 0.05f, co, c, k, k);
             Tensor b = Tensor.uniform(5, -1, 1, co); Tensor go = Tensor.uniform(6, -1, 1, n, co, h, w)) {
            for (int threads : new int[] {1, 2}) {
                CpuOptions.setThreads(threads);
                double[] fwd = BenchUtil.minMedianMillis(3, 21, () -> DeformConv2d.forward(x, off, wt, b, one, one, one, mask).close());
                out.printf("[deform_conv] v2 fwd [1,256,50,50] 3x3 256->256 fp32, %d thread(s): median %.1f ms, min %.1f ms "
                        + "(peak RSS %.0f MiB)%n", threads, fwd[1], fwd[0], BenchUtil.peakRssMb());
                double[] bwd = BenchUtil.minMedianMillis(2, 11, () -> DeformConv2d.backward(go, x, off, wt, b, one, one, one, mask).close());
                out.printf("[deform_conv] v2 bwd, %d thread(s): median %.1f ms, min %.1f ms (peak RSS %.0f MiB)%n", threads,
                        bwd[1], bwd[0], BenchUtil.peakRssMb());
                double[] o = ort(x, off, mask, wt, b, threads, false);
                out.printf("[deform_conv] ORT DeformConv opset 19 fwd, %d thread(s): median %.1f ms, min %.1f ms (peak RSS %.0f MiB)%n",
                        threads, o[1], o[0], BenchUtil.peakRssMb());
                if (threads == 1) {
                    // On a shared machine wall time mostly measures the other jobs; at one thread both
                    // nativeext and ORT compute on the calling thread, whose CPU time they are also compared by.
                    double[] fc = cpuMinMedianMillis(3, 21, () -> DeformConv2d.forward(x, off, wt, b, one, one, one, mask).close());
                    double[] bc = cpuMinMedianMillis(2, 11, () -> DeformConv2d.backward(go, x, off, wt, b, one, one, one, mask).close());
                    double[] oc = ort(x, off, mask, wt, b, 1, true);
                    out.printf("[deform_conv] thread CPU time, 1 thread: fwd median %.1f ms, min %.1f ms; bwd median %.1f ms, min %.1f ms; "
                            + "ORT fwd median %.1f ms, min %.1f ms; fwd/ORT %.2f (min) %.2f (median), bwd/fwd %.2f (min)%n",
                            fc[1], fc[0], bc[1], bc[0], oc[1], oc[0], fc[0] / oc[0], fc[1] / oc[1], bc[0] / fc[0]);
                }
            }
        }
    }

    /** {min, median} of the calling thread's CPU time in milliseconds, as BenchUtil.minMedianMillis does for wall time. */
    static double[] cpuMinMedianMillis(int warmup, int reps, Runnable r) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < warmup; i++) r.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            r.run();
            ms[i] = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return new double[] {ms[0], reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2};
    }

    private static double[] ort(Tensor x, Tensor off, Tensor mask, Tensor wt, Tensor b, int threads, boolean cpuTime)
            throws OrtException {
        List<OnnxModel.Io> ins = List.of(io("X", x), io("W", wt), io("offset", off), io("B", b), io("mask", mask));
        List<OnnxModel.Io> outs = List.of(new OnnxModel.Io("Y", OnnxModel.FLOAT, new long[] {1, 256, 50, 50}));
        byte[] model = OnnxModel.model("DeformConv", "", 19, ins, outs, Map.of("kernel_shape", new long[] {3, 3},
                "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {1, 1}, "dilations", new long[] {1, 1},
                "group", 1L, "offset_group", 1L));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = BenchUtil.ortSession(model, threads);
             OnnxTensor tx = ot(env, x); OnnxTensor tw = ot(env, wt); OnnxTensor to = ot(env, off); OnnxTensor tb = ot(env, b);
             OnnxTensor tm = ot(env, mask)) {
            Map<String, OnnxTensor> feed = Map.of("X", tx, "W", tw, "offset", to, "B", tb, "mask", tm);
            Runnable run = () -> {
                try (OrtSession.Result r = s.run(feed)) {
                    r.get(0);
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
            };
            return cpuTime ? cpuMinMedianMillis(3, 21, run) : BenchUtil.minMedianMillis(3, 21, run);
        }
    }

    private static OnnxModel.Io io(String name, Tensor t) {
        return new OnnxModel.Io(name, OnnxModel.FLOAT, t.shape());
    }

    private static OnnxTensor ot(OrtEnvironment env, Tensor t) throws OrtException {
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), t.shape());
    }

}
