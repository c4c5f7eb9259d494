package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Integer division never traps. Before the fix {@code MIN / -1} raised SIGFPE in ne_binary_cpu
 * (the JVM died) and a zero divisor silently gave 0. Now: MIN / -1 wraps to MIN (PyTorch's
 * result), a zero divisor is an error naming the op.
 */
class IntegerDivisionTest {

    @Test
    void minOverMinusOneWrapsToMinForInt32AndInt64AlsoBroadcast() {
        try (Tensor a = Tensor.of(new int[]{Integer.MIN_VALUE, Integer.MAX_VALUE, 7, -7}, 4);
             Tensor m1 = Tensor.of(new int[]{-1}, 1);
             Tensor same = Tensor.of(new int[]{-1, -1, 2, 2}, 4);
             Tensor q = a.div(m1); Tensor q2 = a.div(same)) {
            assertArrayEquals(new int[]{Integer.MIN_VALUE, -Integer.MAX_VALUE, -7, 7}, q.toIntArray());
            assertArrayEquals(new int[]{Integer.MIN_VALUE, -Integer.MAX_VALUE, 3, -3}, q2.toIntArray(), "truncates toward zero");
        }
        try (Tensor a = Tensor.of(new long[]{Long.MIN_VALUE, 9, Long.MIN_VALUE, -9}, 2, 2);
             Tensor m1 = Tensor.of(new long[]{-1, 2}, 2);
             Tensor q = a.div(m1)) {
            assertArrayEquals(new long[]{Long.MIN_VALUE, 4, Long.MIN_VALUE, -4}, q.toLongArray());
        }
        // A large one: every element is MIN / -1 (the whole inner loop, not one lane).
        int[] mins = new int[10_000];
        java.util.Arrays.fill(mins, Integer.MIN_VALUE);
        try (Tensor a = Tensor.of(mins, 100, 100); Tensor m1 = Tensor.of(new int[]{-1}, 1, 1); Tensor q = a.div(m1)) {
            assertArrayEquals(mins, q.toIntArray());
        }
    }

    @Test
    void aZeroIntegerDivisorIsAnErrorNamingTheOpForEveryIntegerDtype() {
        try (Tensor a = Tensor.of(new int[]{1, 2, 3}, 3); Tensor b = Tensor.of(new int[]{1, 0, 1}, 3)) {
            NativeOpException e = assertThrows(NativeOpException.class, () -> a.div(b));
            assertTrue(e.getMessage().contains("div") && e.getMessage().contains("integer division by zero"), e.getMessage());
            assertEquals(7, e.status());
        }
        try (Tensor a = Tensor.of(new long[]{1, 2}, 2); Tensor b = Tensor.of(new long[]{0}, 1)) {
            assertThrows(NativeOpException.class, () -> a.div(b));
        }
        try (Tensor a = Tensor.of(new byte[]{1, 2}, 2); Tensor b = Tensor.of(new byte[]{2, 0}, 2)) {
            assertThrows(NativeOpException.class, () -> a.div(b));
        }
        try (Tensor a = Tensor.of(new byte[]{(byte) 200, 9}, 2); Tensor b = Tensor.of(new byte[]{(byte) 255, 2}, 2); Tensor q = a.div(b)) {
            assertArrayEquals(new byte[]{0, 4}, q.toByteArray(), "uint8 is unsigned: 200 / 255 = 0");
        }
        // into() reports it too, after writing the output (0 where the divisor was 0).
        try (Tensor a = Tensor.of(new int[]{6, 6}, 2); Tensor b = Tensor.of(new int[]{3, 0}, 2);
             Tensor out = Tensor.zeros(DType.INT32, Device.CPU, 2)) {
            assertThrows(NativeOpException.class, () -> Elementwise.into(Elementwise.DIV, a, b, out));
            assertArrayEquals(new int[]{2, 0}, out.toIntArray());
        }
    }

    @Test
    void floatingDivisionByZeroIsIeee() {
        try (Tensor a = Tensor.of(new float[]{1, -1, 0}, 3); Tensor b = Tensor.of(new float[]{0}, 1); Tensor q = a.div(b)) {
            float[] r = q.toFloatArray();
            assertEquals(Float.POSITIVE_INFINITY, r[0]);
            assertEquals(Float.NEGATIVE_INFINITY, r[1]);
            assertTrue(Float.isNaN(r[2]));
        }
    }
}
