package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * ne_binary_cpu takes (threads, isa) like every CPU entry point: any thread count and variant
 * gives the bits of one thread, also where a task's range starts inside a broadcast row, and a
 * zero integer divisor in any task is reported. The sizes start three threads (1M elements each
 * at least): float32 takes the streaming path (>= 8 MiB), float64 the plain loops.
 */
class ElementwiseThreadsTest {

    @Test
    void everyThreadCountAndIsaGivesTheSameBits() {
        Random r = new Random(10);
        int rows = 3, cols = 700_001;
        double[] a = new double[rows * cols];
        double[] b = new double[cols];
        for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() * 200 - 100;
        for (int i = 0; i < b.length; i++) b[i] = r.nextDouble() * 200 - 100;
        float[] af = new float[a.length];
        float[] bf = new float[b.length];
        for (int i = 0; i < a.length; i++) af[i] = (float) a[i];
        for (int i = 0; i < b.length; i++) bf[i] = (float) b[i];
        try (Tensor ta = Tensor.of(a, rows, cols); Tensor tb = Tensor.of(b, 1, cols);
             Tensor fa = Tensor.of(af, rows, cols); Tensor fb = Tensor.of(bf, 1, cols)) {
            double[][] want = new double[4][];
            float[][] wantF = new float[4][];
            LayerReference.forEachIsaAndThreads((isa, t) -> {
                for (int op = 0; op < 4; op++) {
                    try (Tensor out = apply(op, ta, tb); Tensor outF = apply(op, fa, fb)) {
                        double[] got = out.toDoubleArray();
                        float[] gotF = outF.toFloatArray();
                        if (want[op] == null) {
                            want[op] = got;
                            wantF[op] = gotF;
                        } else {
                            assertArrayEquals(want[op], got, "float64 op " + op + " threads=" + t + " " + isa);
                            assertArrayEquals(wantF[op], gotF, "float32 op " + op + " threads=" + t + " " + isa);
                        }
                    }
                }
            });
        }
    }

    private static Tensor apply(int op, Tensor a, Tensor b) {
        return op == 0 ? a.add(b) : op == 1 ? a.sub(b) : op == 2 ? a.mul(b) : a.div(b);
    }

    @Test
    void aZeroDivisorInAnyTaskIsReported() {
        int[] a = new int[2_200_000];
        int[] b = new int[2_200_000];
        java.util.Arrays.fill(a, 7);
        java.util.Arrays.fill(b, 1);
        b[b.length - 1] = 0; // in the last task's range
        int[] want = a.clone();
        want[want.length - 1] = 0;
        try (Tensor ta = Tensor.of(a, a.length); Tensor tb = Tensor.of(b, b.length);
             Tensor out = Tensor.zeros(DType.INT32, Device.CPU, a.length)) {
            LayerReference.forEachIsaAndThreads((isa, t) -> {
                NativeOpException e = assertThrows(NativeOpException.class, () -> Elementwise.into(Elementwise.DIV, ta, tb, out),
                        "threads=" + t + " " + isa);
                assertEquals(7, e.status());
                assertArrayEquals(want, out.toIntArray(), "the whole output is written, threads=" + t + " " + isa);
            });
        }
    }
}
