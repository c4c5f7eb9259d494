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
 * zero integer divisor in any task is reported.
 */
class ElementwiseThreadsTest {

    @Test
    void everyThreadCountAndIsaGivesTheSameBits() {
        Random r = new Random(10);
        float[] a = new float[5 * 50_001];
        float[] b = new float[50_001];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() * 200 - 100;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() * 200 - 100;
        try (Tensor ta = Tensor.of(a, 5, 50_001); Tensor tb = Tensor.of(b, 1, 50_001)) {
            float[][] want = new float[4][];
            LayerReference.forEachIsaAndThreads((isa, t) -> {
                for (int op = 0; op < 4; op++) {
                    try (Tensor out = op == 0 ? ta.add(tb) : op == 1 ? ta.sub(tb) : op == 2 ? ta.mul(tb) : ta.div(tb)) {
                        float[] got = out.toFloatArray();
                        if (want[op] == null) want[op] = got;
                        else assertArrayEquals(want[op], got, "op " + op + " threads=" + t + " " + isa);
                    }
                }
            });
        }
    }

    @Test
    void aZeroDivisorInAnyTaskIsReported() {
        int[] a = new int[300_000];
        int[] b = new int[300_000];
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
