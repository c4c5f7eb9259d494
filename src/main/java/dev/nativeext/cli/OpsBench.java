package dev.nativeext.cli;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@code bench ops}: broadcast add of [1,256,200,200] + [1,256,1,1] float32 on the CPU, as a
 * fraction of a plain memory copy of the same bytes (the output's size) measured in the same run.
 */
final class OpsBench {

    private OpsBench() {
    }

    /** The same broadcast add on cuda:0, kernel time from synchronised wall clock; needs a GPU. */
    static int runGpu() {
        dev.nativeext.tensor.Cuda.require();
        long[] big = {1, 256, 200, 200};
        Device gpu = Device.cuda(0);
        try (Tensor ha = Tensor.uniform(1, -1, 1, big); Tensor hb = Tensor.uniform(2, -1, 1, 1, 256, 1, 1);
             Tensor a = ha.to(gpu); Tensor b = hb.to(gpu); Tensor out = Tensor.empty(DType.FLOAT32, gpu, big);
             Tensor copy = Tensor.empty(DType.FLOAT32, gpu, big)) {
            double[] add = new double[50];
            double[] d2d = new double[50];
            for (int i = 0; i < 55; i++) {
                org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize();
                long t0 = System.nanoTime();
                dev.nativeext.ops.Elementwise.into(dev.nativeext.ops.Elementwise.ADD, a, b, out);
                org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize();
                long t1 = System.nanoTime();
                org.bytedeco.cuda.global.cudart.cudaMemcpy(new Pointer() { { address = copy.address(); } },
                        new Pointer() { { address = a.address(); } }, a.bytes(), org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice);
                org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize();
                long t2 = System.nanoTime();
                if (i >= 5) {
                    add[i - 5] = (t1 - t0) / 1e6;
                    d2d[i - 5] = (t2 - t1) / 1e6;
                }
            }
            Arrays.sort(add);
            Arrays.sort(d2d);
            System.out.printf(Locale.ROOT, "GPU %s: broadcast add [1,256,200,200] + [1,256,1,1] float32: median %.3f ms;"
                    + " device-to-device copy of the same bytes: %.3f ms; ratio %.2f%n",
                    dev.nativeext.tensor.Cuda.device(0).name(), add[25], d2d[25], d2d[25] / add[25]);
            try (Tensor check = out.to(Device.CPU); Tensor want = ha.add(hb)) {
                float[] x = check.toFloatArray(), y = want.toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    if (Math.abs(x[i] - y[i]) > 1e-6f) throw new IllegalStateException("GPU result differs at " + i + ": " + x[i] + " vs " + y[i]);
                }
                System.out.println("GPU result equals the CPU's");
            }
            System.out.println("deformable convolution GEMM on CUDA: " + dev.nativeext.ops.CudaGemm.describe());
        }
        return 0;
    }

    static int run() {
        long[] big = {1, 256, 200, 200};
        int reps = Integer.getInteger("bench.reps", 30);
        try (Tensor a = Tensor.uniform(1, -1, 1, big); Tensor b = Tensor.uniform(2, -1, 1, 1, 256, 1, 1);
             Tensor copy = Tensor.empty(DType.FLOAT32, Device.CPU, big)) {
            long bytes = a.bytes();
            double[] add = new double[reps];
            double[] addInto = new double[reps];
            double[] memcpy = new double[reps];
            Tensor out = Tensor.empty(DType.FLOAT32, Device.CPU, big);
            // Interleaved, so that both see the same machine state.
            for (int i = 0; i < reps + 5; i++) {
                long t0 = System.nanoTime();
                Tensor c = a.add(b);
                long t1 = System.nanoTime();
                c.close();
                long t2 = System.nanoTime();
                Pointer.memcpy(new Pointer() { { address = copy.address(); } }, new Pointer() { { address = a.address(); } }, bytes);
                long t3 = System.nanoTime();
                dev.nativeext.ops.Elementwise.into(dev.nativeext.ops.Elementwise.ADD, a, b, out);
                long t4 = System.nanoTime();
                if (i >= 5) {
                    add[i - 5] = (t1 - t0) / 1e6;
                    memcpy[i - 5] = (t3 - t2) / 1e6;
                    addInto[i - 5] = (t4 - t3) / 1e6;
                }
            }
            out.close();
            Arrays.sort(add);
            Arrays.sort(memcpy);
            Arrays.sort(addInto);
            double ma = addInto[reps / 2], mm = memcpy[reps / 2], mNew = add[reps / 2];
            System.out.printf(Locale.ROOT, "broadcast add [1,256,200,200] + [1,256,1,1] float32, CPU, into a reused output: median %.2f ms (%.1f GB/s written)%n",
                    ma, bytes / ma / 1e6);
            System.out.printf(Locale.ROOT, "the same into a new output (allocation and first-touch page faults included): median %.2f ms%n", mNew);
            System.out.printf(Locale.ROOT, "memcpy of the same %d bytes:                          median %.2f ms (%.1f GB/s)%n",
                    bytes, mm, bytes / mm / 1e6);
            System.out.printf(Locale.ROOT, "add / memcpy throughput: %.2f (goal >= 0.8); medians of %d interleaved runs%n",
                    mm / ma, reps);
        }
        return 0;
    }
}
