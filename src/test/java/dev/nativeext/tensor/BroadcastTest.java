package dev.nativeext.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broadcast arithmetic against a plain Java reference over random shapes (seeded). */
class BroadcastTest {

    enum BinOp {
        ADD, SUB, MUL, DIV;

        double apply(double x, double y) {
            return switch (this) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            };
        }

        long applyInt(long x, long y) {
            return switch (this) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> y == 0 ? 0 : x / y;
            };
        }

        Tensor run(Tensor a, Tensor b) {
            return switch (this) {
                case ADD -> a.add(b);
                case SUB -> a.sub(b);
                case MUL -> a.mul(b);
                case DIV -> a.div(b);
            };
        }
    }

    static double[] reference(BinOp op, double[] a, long[] as, double[] b, long[] bs, long[] out) {
        double[] r = new double[(int) Tensor.numel(out)];
        for (int i = 0; i < r.length; i++) {
            long[] src = sourceIndices(i, as, bs, out);
            r[i] = op.apply(a[(int) src[0]], b[(int) src[1]]);
        }
        return r;
    }

    /** A random pair of broadcast-compatible shapes of up to 5 axes. */
    static long[][] shapes(SplittableRandom r) {
        int n = r.nextInt(0, 6);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(1, 6);
        long[] a = drop(r, stretch(r, out));
        long[] b = drop(r, stretch(r, out));
        return new long[][]{a, b};
    }

    private static long[] stretch(SplittableRandom r, long[] s) {
        long[] c = s.clone();
        for (int i = 0; i < c.length; i++) if (r.nextInt(3) == 0) c[i] = 1;
        return c;
    }

    private static long[] drop(SplittableRandom r, long[] s) {
        return Arrays.copyOfRange(s, r.nextInt(0, s.length + 1), s.length);
    }

    @ParameterizedTest
    @EnumSource(BinOp.class)
    void float64MatchesTheReferenceOnRandomShapes(BinOp op) {
        SplittableRandom r = new SplittableRandom(42 + op.ordinal());
        for (int trial = 0; trial < 150; trial++) {
            long[][] s = shapes(r);
            double[] a = random(r, s[0]);
            double[] b = random(r, s[1]);
            try (Tensor ta = Tensor.of(a, s[0]); Tensor tb = Tensor.of(b, s[1]); Tensor out = op.run(ta, tb)) {
                long[] shape = Broadcast.shape(s[0], s[1]);
                assertArrayEquals(shape, out.shape());
                assertArrayEquals(reference(op, a, s[0], b, s[1], shape), out.toDoubleArray(),
                        () -> op + " " + Arrays.toString(s[0]) + " with " + Arrays.toString(s[1]));
            }
        }
    }

    @Test
    void float32AndIntegerDtypesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 60; trial++) {
            long[][] s = shapes(r);
            long[] shape = Broadcast.shape(s[0], s[1]);
            double[] a = random(r, s[0]);
            double[] b = random(r, s[1]);
            BinOp op = BinOp.values()[trial % 4];
            double[] ref = reference(op, a, s[0], b, s[1], shape);
            float[] fa = new float[a.length], fb = new float[b.length];
            for (int i = 0; i < a.length; i++) fa[i] = (float) a[i];
            for (int i = 0; i < b.length; i++) fb[i] = (float) b[i];
            try (Tensor ta = Tensor.of(fa, s[0]); Tensor tb = Tensor.of(fb, s[1]); Tensor out = op.run(ta, tb)) {
                float[] got = out.toFloatArray();
                double[] fref = reference(op, toDouble(fa), s[0], toDouble(fb), s[1], shape);
                for (int i = 0; i < got.length; i++) assertEquals((float) fref[i], got[i], 1e-6f * Math.max(1, Math.abs(ref[i])));
            }
            long[] la = new long[a.length], lb = new long[b.length];
            for (int i = 0; i < a.length; i++) la[i] = (long) (a[i] * 10);
            for (int i = 0; i < b.length; i++) lb[i] = (long) (b[i] * 10);
            int[] ia = Arrays.stream(la).mapToInt(x -> (int) x).toArray(), ib = Arrays.stream(lb).mapToInt(x -> (int) x).toArray();
            try (Tensor ta = Tensor.of(la, s[0]); Tensor tb = Tensor.of(lb, s[1]); Tensor out = op.run(ta, tb);
                 Tensor ta32 = Tensor.of(ia, s[0]); Tensor tb32 = Tensor.of(ib, s[1]); Tensor out32 = op.run(ta32, tb32)) {
                long[] got = out.toLongArray();
                int[] got32 = out32.toIntArray();
                for (int i = 0; i < got.length; i++) {
                    long[] idx = sourceIndices(i, s[0], s[1], shape);
                    long want = op.applyInt(la[(int) idx[0]], lb[(int) idx[1]]);
                    assertEquals(want, got[i]);
                    assertEquals((int) want, got32[i]);
                }
            }
        }
    }

    @Test
    void uint8WrapsAndDivisionByZeroIsAnError() {
        try (Tensor a = Tensor.of(new byte[]{(byte) 250, 10, 7}, 3); Tensor b = Tensor.of(new byte[]{10, 0, 2}, 3);
             Tensor c = Tensor.of(new byte[]{10, 3, 2}, 3); Tensor sum = a.add(b); Tensor q = a.div(c)) {
            assertArrayEquals(new byte[]{4, 10, 9}, sum.toByteArray());
            assertArrayEquals(new byte[]{25, 3, 3}, q.toByteArray());
            assertThrows(dev.nativeext.ops.NativeOpException.class, () -> a.div(b));
        }
    }

    @Test
    void incompatibleShapesNameBothShapesAndTheAxis() {
        try (Tensor a = Tensor.zeros(DType.FLOAT32, Device.CPU, 2, 3); Tensor b = Tensor.zeros(DType.FLOAT32, Device.CPU, 4, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
            assertTrue(e.getMessage().contains("[2, 3] and [4, 1]"), e.getMessage());
            assertTrue(e.getMessage().contains("axis -2"), e.getMessage());
        }
        try (Tensor a = Tensor.zeros(DType.FLOAT32, Device.CPU, 2); Tensor b = Tensor.zeros(DType.FLOAT64, Device.CPU, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
            assertTrue(e.getMessage().contains("FLOAT32 and FLOAT64"), e.getMessage());
        }
    }

    @Test
    void emptyAndScalarShapes() {
        try (Tensor a = Tensor.zeros(DType.FLOAT32, Device.CPU, 0, 3); Tensor b = Tensor.of(new float[]{1, 2, 3}, 3); Tensor c = a.add(b)) {
            assertArrayEquals(new long[]{0, 3}, c.shape());
            assertEquals(0, c.toFloatArray().length);
        }
        try (Tensor a = Tensor.of(new float[]{2}); Tensor b = Tensor.of(new float[]{1, 2}, 2); Tensor c = a.mul(b)) {
            assertArrayEquals(new float[]{2, 4}, c.toFloatArray());
        }
    }

    @Test
    void stridesOfBroadcastOperands() {
        assertArrayEquals(new long[]{0, 1, 0, 0}, Broadcast.strides(new long[]{256, 1, 1}, new long[]{1, 256, 200, 200}));
        assertArrayEquals(new long[]{40000, 200, 1}, Broadcast.strides(new long[]{3, 200, 200}, new long[]{3, 200, 200}));
    }

    /** The reference: the flat indices into a and b that output element i reads, straight from the broadcasting rule. */
    private static long[] sourceIndices(int i, long[] as, long[] bs, long[] out) {
        long rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
        for (int d = out.length - 1; d >= 0; d--) {
            long k = rem % out[d];
            rem /= out[d];
            int da = d - (out.length - as.length), db = d - (out.length - bs.length);
            if (da >= 0) {
                if (as[da] != 1) ia += k * sa;
                sa *= as[da];
            }
            if (db >= 0) {
                if (bs[db] != 1) ib += k * sb;
                sb *= bs[db];
            }
        }
        return new long[]{ia, ib};
    }

    private static double[] random(SplittableRandom r, long[] shape) {
        double[] d = new double[(int) Tensor.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            double v = r.nextDouble(-4, 4);
            d[i] = Math.abs(v) < 0.1 ? 0.5 : v;
        }
        return d;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Outputs over 8 MB take the streaming-store path; rows of odd length start unaligned. */
    @ParameterizedTest
    @EnumSource(BinOp.class)
    void largeFloat32OutputsMatchTheScalarResultBitForBit(BinOp op) {
        long[][][] cases = {
                {{3, 700_001}, {3, 1}},
                {{3, 700_001}, {3, 700_001}},
                {{1}, {2, 1_050_003}},
        };
        for (long[][] c : cases) {
            try (Tensor a = Tensor.uniform(1, 0.5f, 2, c[0]); Tensor b = Tensor.uniform(2, 0.5f, 2, c[1]); Tensor out = op.run(a, b)) {
                float[] x = a.toFloatArray(), y = b.toFloatArray(), got = out.toFloatArray();
                long[] shape = Broadcast.shape(c[0], c[1]);
                for (int i = 0; i < got.length; i++) {
                    long[] src = sourceIndices(i, c[0], c[1], shape);
                    float want = (float) op.apply(x[(int) src[0]], y[(int) src[1]]);
                    if (Float.floatToIntBits(want) != Float.floatToIntBits(got[i])) {
                        throw new AssertionError(op + " " + Arrays.toString(c[0]) + " with " + Arrays.toString(c[1]) + " at " + i
                                + ": " + got[i] + " != " + want);
                    }
                }
            }
        }
    }
}
