package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * "A clear exception or a correct result", for every public op, over generated shapes, dtypes,
 * values (NaN, infinities, huge), nulls, closed tensors and huge scalar arguments. A clear
 * exception is an IllegalArgumentException (or, for a closed tensor, an IllegalStateException;
 * for an integer division by zero, a NativeOpException naming it). Anything else fails: a
 * NullPointerException, an ArithmeticException, an index exception, an out-of-memory status, a
 * crash. Results are checked for their shape and dtype, and element-wise arithmetic for every
 * value against Java's own arithmetic (IEEE for floats, wrapping for integers).
 */
class OpPropertiesTest {

    /** A tensor to build: null, closed, or data of a dtype and shape. */
    record Spec(boolean isNull, boolean closed, DType dtype, long[] shape, double[] values) {
        Tensor make() {
            if (isNull) return null;
            int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            Tensor t = switch (dtype) {
                case FLOAT32 -> {
                    float[] f = new float[n];
                    for (int i = 0; i < n; i++) f[i] = (float) values[i % values.length];
                    yield Tensor.of(f, shape);
                }
                case FLOAT64 -> {
                    double[] d = new double[n];
                    for (int i = 0; i < n; i++) d[i] = values[i % values.length];
                    yield Tensor.of(d, shape);
                }
                case INT32 -> {
                    int[] d = new int[n];
                    for (int i = 0; i < n; i++) d[i] = (int) values[i % values.length];
                    yield Tensor.of(d, shape);
                }
                case INT64 -> {
                    long[] d = new long[n];
                    for (int i = 0; i < n; i++) d[i] = (long) values[i % values.length];
                    yield Tensor.of(d, shape);
                }
                case UINT8 -> {
                    byte[] d = new byte[n];
                    for (int i = 0; i < n; i++) d[i] = (byte) (long) values[i % values.length];
                    yield Tensor.of(d, shape);
                }
                case BOOL -> {
                    boolean[] d = new boolean[n];
                    for (int i = 0; i < n; i++) d[i] = values[i % values.length] != 0;
                    yield Tensor.ofBool(d, shape);
                }
            };
            if (closed) t.close();
            return t;
        }

        @Override
        public String toString() {
            return isNull ? "null" : dtype + Arrays.toString(shape) + (closed ? " closed" : "") + " " + Arrays.toString(values);
        }
    }

    private static final double[] SPECIAL = {0, 1, -1, 2, 0.5, 3, 7, 100, -100, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 1e30, -1e30, Integer.MIN_VALUE, Integer.MAX_VALUE, 255, 1e9};

    private static Arbitrary<double[]> values(int min) {
        List<Double> special = Arrays.stream(SPECIAL).boxed().toList();
        Arbitrary<Double> v = Arbitraries.oneOf(Arbitraries.of(special), Arbitraries.integers().between(-8, 8).map(i -> (double) i),
                Arbitraries.doubles().between(-50, 50));
        return v.array(double[].class).ofMinSize(min).ofMaxSize(6);
    }

    private static Arbitrary<Spec> specs(Arbitrary<DType> dtypes, Arbitrary<long[]> shapes) {
        return Combinators.combine(Arbitraries.integers().between(0, 99), dtypes, shapes, values(1))
                .as((r, dt, sh, v) -> new Spec(r < 3, r >= 3 && r < 6, dt, sh, v));
    }

    private static Arbitrary<long[]> shapes(int minRank, int maxRank, int maxDim) {
        return Arbitraries.longs().between(0, maxDim).array(long[].class).ofMinSize(minRank).ofMaxSize(maxRank);
    }

    private static final Arbitrary<DType> ANY_DTYPE = Arbitraries.of(DType.values());
    private static final Arbitrary<DType> MOSTLY_FLOAT = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.of(DType.FLOAT32, DType.FLOAT64)), net.jqwik.api.Tuple.of(1, ANY_DTYPE));

    /** Runs {@code call}; a result is checked by {@code check}; only clear exceptions may escape. */
    private static <T> void clearOrCorrect(String what, Supplier<T> call, java.util.function.Consumer<T> check) {
        T r;
        try {
            r = call.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), what + ": an exception without a message");
            return;
        } catch (NativeOpException e) {
            assertTrue(e.status() == 7, () -> what + ": " + e);
            return;
        } catch (Throwable t) {
            fail(what + ": not a clear exception: " + t, t);
            return;
        }
        try {
            check.accept(r);
        } finally {
            if (r instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing results never fails
                }
            }
        }
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) if (t != null) t.close();
    }

    // ---- element-wise arithmetic, checked value by value ---------------------------------------

    @Provide
    Arbitrary<Spec> smallTensors() {
        return specs(ANY_DTYPE, Arbitraries.integers().between(1, 3).array(int[].class).ofMinSize(0).ofMaxSize(3)
                .map(a -> Arrays.stream(a).asLongStream().toArray()));
    }

    @Property(tries = 300, seed = "9001")
    void arithmeticIsAClearErrorOrJavasOwnResult(@ForAll("smallTensors") Spec a, @ForAll("smallTensors") Spec b,
                                                 @ForAll("ops") int op) {
        Tensor x = a.make(), y = b.make();
        try {
            Op<Elementwise.BinaryKernel> o = List.of(Elementwise.ADD, Elementwise.SUB, Elementwise.MUL, Elementwise.DIV).get(op);
            clearOrCorrect(o + " " + a + " " + b, () -> switch (op) {
                case 0 -> Elementwise.add(x, y);
                case 1 -> Elementwise.sub(x, y);
                case 2 -> Elementwise.mul(x, y);
                default -> Elementwise.div(x, y);
            }, out -> assertArrayEquals(reference(op, a, b), values(out), o + " " + a + " " + b));
        } finally {
            closeAll(x, y);
        }
    }

    @Provide
    Arbitrary<Integer> ops() {
        return Arbitraries.integers().between(0, 3);
    }

    private static double[] values(Tensor t) {
        return switch (t.dtype()) {
            case FLOAT32 -> {
                float[] f = t.toFloatArray();
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                yield d;
            }
            case FLOAT64 -> t.toDoubleArray();
            case INT32 -> Arrays.stream(t.toIntArray()).asDoubleStream().toArray();
            case INT64 -> Arrays.stream(t.toLongArray()).asDoubleStream().toArray();
            default -> {
                byte[] b = t.toByteArray();
                double[] d = new double[b.length];
                for (int i = 0; i < b.length; i++) d[i] = b[i] & 0xFF;
                yield d;
            }
        };
    }

    /** a op b with NumPy broadcasting, in the dtype's own Java arithmetic. */
    private static double[] reference(int op, Spec a, Spec b) {
        long[] s = dev.nativeext.tensor.Broadcast.shape(a.shape(), b.shape());
        int n = (int) Arrays.stream(s).reduce(1, (p, q) -> p * q);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double x = a.values()[index(i, s, a.shape()) % a.values().length], y = b.values()[index(i, s, b.shape()) % b.values().length];
            out[i] = switch (a.dtype()) {
                case FLOAT32 -> {
                    float fx = (float) x, fy = (float) y;
                    yield op == 0 ? fx + fy : op == 1 ? fx - fy : op == 2 ? fx * fy : fx / fy;
                }
                case FLOAT64 -> op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
                case INT32 -> {
                    int ix = (int) x, iy = (int) y;
                    yield op == 0 ? ix + iy : op == 1 ? ix - iy : op == 2 ? ix * iy : iy == 0 ? 0 : ix / iy;
                }
                case INT64 -> {
                    long lx = (long) x, ly = (long) y;
                    yield op == 0 ? lx + ly : op == 1 ? lx - ly : op == 2 ? lx * ly : ly == 0 ? 0 : lx / ly;
                }
                default -> {
                    int ux = (int) ((long) x & 0xFF), uy = (int) ((long) y & 0xFF);
                    yield (op == 0 ? ux + uy : op == 1 ? ux - uy : op == 2 ? ux * uy : uy == 0 ? 0 : ux / uy) & 0xFF;
                }
            };
        }
        return out;
    }

    /** The flat index into an operand of shape {@code in} for output element {@code i} of shape {@code out}. */
    private static int index(int i, long[] out, long[] in) {
        int idx = 0, stride = 1;
        for (int d = out.length - 1, e = in.length - 1; d >= 0; d--, e--) {
            int coord = (int) (i % out[d]);
            i /= (int) out[d];
            if (e >= 0) {
                if (in[e] != 1) idx += coord * stride;
                stride *= (int) in[e];
            }
        }
        return idx;
    }

    // ---- detection ops ----------------------------------------------------------------------------

    @Provide
    Arbitrary<Spec> features() {
        return specs(MOSTLY_FLOAT, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(1, 4)
                .array(long[].class).ofSize(4)), net.jqwik.api.Tuple.of(1, shapes(0, 5, 3))));
    }

    @Provide
    Arbitrary<Spec> rois() {
        return specs(MOSTLY_FLOAT, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(0, 3)
                .map(k -> new long[]{k, 5})), net.jqwik.api.Tuple.of(1, shapes(0, 3, 6))));
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-1, 4),
                Arbitraries.of(0, 7, 65536, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE));
    }

    @Provide
    Arbitrary<Double> scales() {
        return Arbitraries.oneOf(Arbitraries.of(0.0, -1.0, 0.25, 0.5, 1.0, 2.0, 1e-30, 1e30, Double.NaN, Double.POSITIVE_INFINITY,
                Double.MIN_VALUE), Arbitraries.doubles().between(0.01, 4));
    }

    private static void shaped(Tensor out, long... want) {
        assertArrayEquals(want, out.shape(), () -> "result " + out.describe());
    }

    @Property(tries = 200, seed = "9002")
    void roiAlignIsAClearErrorOrAResultOfTheDocumentedShape(@ForAll("features") Spec in, @ForAll("rois") Spec rois,
                                                            @ForAll("sizes") int ph, @ForAll("sizes") int pw,
                                                            @ForAll("scales") double scale, @ForAll("sizes") int sr,
                                                            @ForAll boolean aligned) {
        Tensor x = in.make(), r = rois.make();
        try {
            clearOrCorrect("roiAlign " + in + " " + rois, () -> VisionOps.roiAlign(x, r, new int[]{ph, pw}, scale, sr, aligned),
                    out -> {
                        shaped(out, r.shape(0), x.shape(1), ph, pw);
                        assertEquals(x.dtype(), out.dtype());
                    });
            clearOrCorrect("roiAlignBackward", () -> {
                try (Tensor g = Tensor.zeros(x == null || x.isClosed() ? DType.FLOAT32 : x.dtype(), Device.CPU,
                        r == null || r.isClosed() || r.ndim() < 1 ? 1 : r.shape(0), 2, Math.max(1, Math.min(ph, 4)), Math.max(1, Math.min(pw, 4)))) {
                    return VisionOps.roiAlignBackward(g, r, new long[]{1, 2, ph, pw}, scale, sr, aligned, false);
                }
            }, gin -> shaped(gin, 1, 2, ph, pw));
        } finally {
            closeAll(x, r);
        }
    }

    @Property(tries = 150, seed = "9003")
    void roiPoolIsAClearErrorOrAResultOfTheDocumentedShape(@ForAll("features") Spec in, @ForAll("rois") Spec rois,
                                                           @ForAll("sizes") int ph, @ForAll("sizes") int pw, @ForAll("scales") double scale,
                                                           @ForAll("argmaxes") int[] argmax) {
        Tensor x = in.make(), r = rois.make();
        try {
            clearOrCorrect("roiPool " + in + " " + rois, () -> VisionOps.roiPool(x, r, new int[]{ph, pw}, scale), res -> {
                shaped(res.output(), r.shape(0), x.shape(1), ph, pw);
                shaped(res.argmax(), r.shape(0), x.shape(1), ph, pw);
            });
            clearOrCorrect("roiPoolBackward", () -> {
                try (Tensor g = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, 1, argmax.length);
                     Tensor a = Tensor.of(argmax, 1, 1, 1, argmax.length)) {
                    return VisionOps.roiPoolBackward(g, a, r, new long[]{1, 1, Math.max(0, ph), Math.max(0, pw)});
                }
            }, gin -> shaped(gin, 1, 1, ph, pw));
        } finally {
            closeAll(x, r);
        }
    }

    @Provide
    Arbitrary<int[]> argmaxes() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-3, 20), Arbitraries.of(Integer.MAX_VALUE, Integer.MIN_VALUE))
                .array(int[].class).ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<Spec> boxes() {
        return specs(MOSTLY_FLOAT, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(0, 6)
                .map(n -> new long[]{n, 4})), net.jqwik.api.Tuple.of(1, shapes(0, 3, 5))));
    }

    @Provide
    Arbitrary<Spec> vectors() {
        return specs(ANY_DTYPE, Arbitraries.longs().between(0, 6).map(n -> new long[]{n}));
    }

    @Property(tries = 200, seed = "9004")
    void nmsIsAClearErrorOrIndicesIntoTheBoxes(@ForAll("boxes") Spec boxes, @ForAll("vectors") Spec scores,
                                               @ForAll("vectors") Spec idxs, @ForAll("scales") double threshold) {
        Tensor b = boxes.make(), s = scores.make(), c = idxs.make();
        try {
            java.util.function.Consumer<Tensor> check = keep -> {
                assertEquals(DType.INT64, keep.dtype());
                for (long k : keep.toLongArray()) assertTrue(k >= 0 && k < b.shape(0), "index " + k);
            };
            clearOrCorrect("nms " + boxes + " " + scores, () -> VisionOps.nms(b, s, threshold), check);
            clearOrCorrect("batchedNms", () -> VisionOps.batchedNms(b, s, c, threshold), check);
        } finally {
            closeAll(b, s, c);
        }
    }

    @Provide
    Arbitrary<Spec> logits() {
        return specs(MOSTLY_FLOAT, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(0, 4)
                .array(long[].class).ofSize(2)), net.jqwik.api.Tuple.of(1, shapes(0, 3, 4))));
    }

    @Property(tries = 200, seed = "9005")
    void sigmoidFocalLossIsAClearErrorOrALossOfTheLogitsShape(@ForAll("logits") Spec logits, @ForAll("logits") Spec targets,
                                                              @ForAll("vectors") Spec labels, @ForAll("scales") double gamma,
                                                              @ForAll("scales") double alpha) {
        Tensor x = logits.make(), t = targets.make(), l = labels.make();
        try {
            clearOrCorrect("focal " + logits + " " + targets, () -> VisionOps.sigmoidFocalLoss(x, t, gamma, alpha),
                    loss -> shaped(loss, x.shape()));
            clearOrCorrect("focal labels " + logits + " " + labels, () -> VisionOps.sigmoidFocalLoss(x, l, gamma, alpha),
                    loss -> shaped(loss, x.shape()));
        } finally {
            closeAll(x, t, l);
        }
    }

    @Provide
    Arbitrary<int[]> pairs() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-1, 3), Arbitraries.of(Integer.MAX_VALUE, 65536))
                .array(int[].class).ofMinSize(0).ofMaxSize(3).injectNull(0.05);
    }

    @Provide
    Arbitrary<Spec> convTensors() {
        return specs(MOSTLY_FLOAT, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(1, 4)
                .array(long[].class).ofSize(4)), net.jqwik.api.Tuple.of(1, shapes(0, 5, 3))));
    }

    @Property(tries = 150, seed = "9006")
    void deformConv2dIsAClearErrorOrAResult(@ForAll("convTensors") Spec input, @ForAll("convTensors") Spec offset,
                                            @ForAll("convTensors") Spec weight, @ForAll("pairs") int[] stride,
                                            @ForAll("pairs") int[] padding, @ForAll("pairs") int[] dilation) {
        Tensor x = input.make(), o = offset.make(), w = weight.make();
        try {
            clearOrCorrect("deformConv2d " + input + " " + offset + " " + weight,
                    () -> VisionOps.deformConv2d(x, o, w, null, stride, padding, dilation, null),
                    out -> assertEquals(4, out.ndim()));
        } finally {
            closeAll(x, o, w);
        }
    }

    @Provide
    Arbitrary<DeformPsRoiPool.Params> psParams() {
        Arbitrary<Integer> small = Arbitraries.oneOf(Arbitraries.integers().between(-1, 3), Arbitraries.of(65536, Integer.MAX_VALUE));
        return Combinators.combine(scales(), small, small, small, small, small, scales())
                .as(DeformPsRoiPool.Params::new).injectNull(0.05);
    }

    @Property(tries = 150, seed = "9007")
    void deformPsRoiPoolIsAClearErrorOrAResult(@ForAll("features") Spec data, @ForAll("rois") Spec rois,
                                               @ForAll("psParams") DeformPsRoiPool.Params p) {
        Tensor d = data.make(), r = rois.make();
        try {
            clearOrCorrect("deformPsRoiPool " + data + " " + rois + " " + p, () -> VisionOps.deformPsRoiPool(d, r, null, p),
                    res -> shaped(res.output(), r.shape(0), p.outputDim(), p.pooled(), p.pooled()));
        } finally {
            closeAll(d, r);
        }
    }

    // ---- tensors themselves ----------------------------------------------------------------------

    @Provide
    Arbitrary<long[]> anyShapes() {
        Arbitrary<Long> dim = Arbitraries.oneOf(Arbitraries.longs().between(-2, 5),
                Arbitraries.of(1L << 31, 1L << 32, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE));
        return dim.array(long[].class).ofMinSize(0).ofMaxSize(4).injectNull(0.05);
    }

    @Property(tries = 300, seed = "9008")
    void tensorFactoriesAndAccessorsAreAClearErrorOrCorrect(@ForAll("anyShapes") long[] shape, @ForAll("maybeDtype") DType dt,
                                                            @ForAll int axis) {
        // Only shapes that fit a small allocation or overflow a long are tried: a 4 TiB
        // allocation is the machine's business (OutOfMemoryError), not an argument check.
        if (shape != null && fitsButHuge(shape)) return;
        clearOrCorrect("zeros " + Arrays.toString(shape), () -> Tensor.zeros(dt, Device.CPU, shape), t -> {
            assertArrayEquals(shape, t.shape());
            clearOrCorrect("shape(" + axis + ")", () -> t.shape(axis), s -> assertEquals(t.shape()[axis < 0 ? t.ndim() + axis : axis], s));
        });
    }

    @Provide
    Arbitrary<DType> maybeDtype() {
        return ANY_DTYPE.injectNull(0.1);
    }

    private static boolean fitsButHuge(long[] shape) {
        double p = 1;
        for (long d : shape) {
            if (d < 0) return false;
            if (d == 0) return false;
            p *= d;
        }
        return p > 1e6 && p < 9.3e18;
    }

    @Property(tries = 100, seed = "9009")
    void elementwiseIntoChecksItsOutput(@ForAll("smallTensors") Spec a, @ForAll("smallTensors") Spec b, @ForAll("smallTensors") Spec out) {
        Tensor x = a.make(), y = b.make(), o = out.make();
        try {
            clearOrCorrect("into", () -> {
                Elementwise.into(Elementwise.ADD, x, y, o);
                return o;
            }, r -> assertArrayEquals(reference(0, a, b), values(r)));
        } finally {
            closeAll(x, y, o);
        }
    }
}
