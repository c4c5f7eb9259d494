package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import dev.nativeext.testing.Gen;
import dev.nativeext.testing.SeededCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

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
 *
 * <p>Each property is a {@link TestFactory} of cases drawn by {@link SeededCases} from a fixed
 * seed (9001 to 9009), so every run tries the same cases; a failing case names its own seed and
 * its values, and {@code -Dnativeext.case.seed=<seed>} reruns it alone.
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

    // ---- generators: each draws from the case's own seeded Gen ----------------------------------

    /** Between {@code min} and 6 values: special ones (NaN, infinities, huge), small integers, fractions. */
    private static double[] valuesOf(Gen g, int min) {
        return g.doubleArray(min, 6, () -> g.oneOf(() -> g.pickDouble(SPECIAL), () -> (double) g.ints(-8, 8),
                () -> g.doubles(-50, 50)));
    }

    /** A tensor spec: null 3% of the time, closed 3%, otherwise data of a drawn dtype and shape. */
    private static Spec spec(Gen g, Supplier<DType> dtype, Supplier<long[]> shape) {
        int r = g.size(0, 99);
        return new Spec(r < 3, r >= 3 && r < 6, dtype.get(), shape.get(), valuesOf(g, 1));
    }

    private static long[] shapes(Gen g, int minRank, int maxRank, int maxDim) {
        return g.longArray(minRank, maxRank, () -> g.longs(0, maxDim));
    }

    /** {@code rank} dims in [lo, hi] 8 times in 9, otherwise any shape of rank 0 to maxRank with dims up to maxDim. */
    private static long[] mostlyRank(Gen g, int rank, long lo, long hi, int maxRank, int maxDim) {
        return g.weighted(8, () -> g.longArray(rank, rank, () -> g.longs(lo, hi)), 1, () -> shapes(g, 0, maxRank, maxDim));
    }

    /** {n, cols} with n in [0, maxN] 8 times in 9, otherwise any shape of rank 0 to 3 with dims up to maxDim. */
    private static long[] mostlyRows(Gen g, long maxN, long cols, int maxDim) {
        return g.weighted(8, () -> new long[]{g.longs(0, maxN), cols}, 1, () -> shapes(g, 0, 3, maxDim));
    }

    private static DType anyDtype(Gen g) {
        return g.pick(DType.values());
    }

    private static DType mostlyFloat(Gen g) {
        return g.weighted(6, () -> g.pick(DType.FLOAT32, DType.FLOAT64), 1, () -> anyDtype(g));
    }

    /** Any dtype, rank 0 to 3, dims 1 to 3 (so that any two broadcast often). */
    private static Spec smallTensor(Gen g) {
        return spec(g, () -> anyDtype(g), () -> g.longArray(0, 3, () -> g.longs(1, 3)));
    }

    /** Mostly a float NCHW tensor with dims 1 to 4. */
    private static Spec feature(Gen g) {
        return spec(g, () -> mostlyFloat(g), () -> mostlyRank(g, 4, 1, 4, 5, 3));
    }

    /** Mostly a float [k, 5] roi tensor, k in 0..3. */
    private static Spec rois(Gen g) {
        return spec(g, () -> mostlyFloat(g), () -> mostlyRows(g, 3, 5, 6));
    }

    /** Mostly a float [n, 4] box tensor, n in 0..6. */
    private static Spec boxes(Gen g) {
        return spec(g, () -> mostlyFloat(g), () -> mostlyRows(g, 6, 4, 5));
    }

    /** A vector of any dtype with 0 to 6 elements. */
    private static Spec vector(Gen g) {
        return spec(g, () -> anyDtype(g), () -> new long[]{g.longs(0, 6)});
    }

    /** Mostly a float [n, c] tensor with dims 0 to 4. */
    private static Spec logits(Gen g) {
        return spec(g, () -> mostlyFloat(g), () -> mostlyRank(g, 2, 0, 4, 3, 4));
    }

    /** An output size or sampling ratio: small, zero, negative or huge. */
    private static int size(Gen g) {
        return g.oneOf(() -> g.ints(-1, 4), () -> g.pickInt(0, 7, 65536, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE));
    }

    /** A scale or threshold: ordinary, zero, negative, tiny, huge, NaN, infinite or subnormal. */
    private static double scale(Gen g) {
        return g.oneOf(() -> g.pickDouble(0.0, -1.0, 0.25, 0.5, 1.0, 2.0, 1e-30, 1e30, Double.NaN, Double.POSITIVE_INFINITY,
                Double.MIN_VALUE), () -> g.doubles(0.01, 4));
    }

    /** 1 to 4 argmax entries, in and out of a small plane, and the int extremes. */
    private static int[] argmax(Gen g) {
        return g.intArray(1, 4, () -> g.oneOf(() -> g.ints(-3, 20), () -> g.pickInt(Integer.MAX_VALUE, Integer.MIN_VALUE)));
    }

    /** A stride/padding/dilation: null 5% of the time, otherwise 0 to 3 small, negative or huge entries. */
    private static int[] pair(Gen g) {
        return g.orNull(0.05, () -> g.intArray(0, 3, () -> g.oneOf(() -> g.ints(-1, 3), () -> g.pickInt(Integer.MAX_VALUE, 65536))));
    }

    private static int smallOrHuge(Gen g) {
        return g.oneOf(() -> g.ints(-1, 3), () -> g.pickInt(65536, Integer.MAX_VALUE));
    }

    private static DeformPsRoiPool.Params psParams(Gen g) {
        return g.orNull(0.05, () -> new DeformPsRoiPool.Params(scale(g), smallOrHuge(g), smallOrHuge(g), smallOrHuge(g),
                smallOrHuge(g), smallOrHuge(g), scale(g)));
    }

    /** A shape for the factories: null 5% of the time, otherwise 0 to 4 dims, small, negative or past 2^31. */
    private static long[] anyShape(Gen g) {
        return g.orNull(0.05, () -> g.longArray(0, 4, () -> g.oneOf(() -> g.longs(-2, 5),
                () -> g.pickLong(1L << 31, 1L << 32, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE))));
    }

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

    record ArithmeticCase(Spec a, Spec b, int op) {
    }

    @TestFactory
    Stream<DynamicTest> arithmeticIsAClearErrorOrJavasOwnResult() {
        return SeededCases.of(9001, 300, g -> new ArithmeticCase(smallTensor(g), smallTensor(g), g.ints(0, 3)), c -> {
            Spec a = c.a(), b = c.b();
            int op = c.op();
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
        });
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

    private static void shaped(Tensor out, long... want) {
        assertArrayEquals(want, out.shape(), () -> "result " + out.describe());
    }

    /**
     * An H, W pair drawn like the output sizes, for a tensor [.., H, W] with at most {@code others}
     * elements per plane position; a pair whose tensor would fit a long's bytes but not a test
     * machine (a 32 GiB result) is drawn again: that allocation is the machine's business
     * (OutOfMemoryError), not an argument check, as for the tensor factories below. Negative,
     * zero and small sizes stay, and so do planes whose bytes overflow a long for any tensor.
     */
    private static int[] plane(Gen g, int others) {
        while (true) {
            int h = size(g), w = size(g);
            double elements = (double) Math.max(0, h) * Math.max(0, w);
            if (elements * others <= 1e6 || elements * 4 >= 9.3e18) return new int[]{h, w};
        }
    }

    record RoiAlignCase(Spec in, Spec rois, int ph, int pw, double scale, int samplingRatio, boolean aligned, int h, int w) {
    }

    private static RoiAlignCase roiAlignCase(Gen g) {
        Spec in = feature(g), rois = rois(g);
        int ph = size(g), pw = size(g);
        double scale = scale(g);
        int samplingRatio = size(g);
        boolean aligned = g.bool();
        int[] plane = plane(g, 2);
        return new RoiAlignCase(in, rois, ph, pw, scale, samplingRatio, aligned, plane[0], plane[1]);
    }

    @TestFactory
    Stream<DynamicTest> roiAlignIsAClearErrorOrAResultOfTheDocumentedShape() {
        return SeededCases.of(9002, 200, OpPropertiesTest::roiAlignCase, c -> {
            int ph = c.ph(), pw = c.pw();
            Tensor x = c.in().make(), r = c.rois().make();
            try {
                clearOrCorrect("roiAlign " + c, () -> VisionOps.roiAlign(x, r, new int[]{ph, pw}, c.scale(), c.samplingRatio(), c.aligned()),
                        out -> {
                            shaped(out, r.shape(0), x.shape(1), ph, pw);
                            assertEquals(x.dtype(), out.dtype());
                        });
                clearOrCorrect("roiAlignBackward " + c, () -> {
                    try (Tensor g = Tensor.zeros(x == null || x.isClosed() ? DType.FLOAT32 : x.dtype(), Device.CPU,
                            r == null || r.isClosed() || r.ndim() < 1 ? 1 : r.shape(0), 2, Math.max(1, Math.min(ph, 4)), Math.max(1, Math.min(pw, 4)))) {
                        return VisionOps.roiAlignBackward(g, r, new long[]{1, 2, c.h(), c.w()}, c.scale(), c.samplingRatio(), c.aligned(), false);
                    }
                }, gin -> shaped(gin, 1, 2, c.h(), c.w()));
            } finally {
                closeAll(x, r);
            }
        });
    }

    record RoiPoolCase(Spec in, Spec rois, int ph, int pw, double scale, int[] argmax, int h, int w) {
        @Override
        public String toString() {
            return "RoiPoolCase[in=" + in + ", rois=" + rois + ", ph=" + ph + ", pw=" + pw + ", scale=" + scale
                    + ", argmax=" + Arrays.toString(argmax) + ", h=" + h + ", w=" + w + "]";
        }
    }

    private static RoiPoolCase roiPoolCase(Gen g) {
        Spec in = feature(g), rois = rois(g);
        int[] pooled = plane(g, 6 * 4); // at most 6 rois of 4 channels
        double scale = scale(g);
        int[] argmax = argmax(g);
        int[] plane = plane(g, 1);
        return new RoiPoolCase(in, rois, pooled[0], pooled[1], scale, argmax, plane[0], plane[1]);
    }

    @TestFactory
    Stream<DynamicTest> roiPoolIsAClearErrorOrAResultOfTheDocumentedShape() {
        return SeededCases.of(9003, 150, OpPropertiesTest::roiPoolCase, c -> {
            int ph = c.ph(), pw = c.pw();
            int[] argmax = c.argmax();
            Tensor x = c.in().make(), r = c.rois().make();
            try {
                clearOrCorrect("roiPool " + c, () -> VisionOps.roiPool(x, r, new int[]{ph, pw}, c.scale()), res -> {
                    shaped(res.output(), r.shape(0), x.shape(1), ph, pw);
                    shaped(res.argmax(), r.shape(0), x.shape(1), ph, pw);
                });
                clearOrCorrect("roiPoolBackward " + c, () -> {
                    try (Tensor g = Tensor.zeros(DType.FLOAT32, Device.CPU, 1, 1, 1, argmax.length);
                         Tensor a = Tensor.of(argmax, 1, 1, 1, argmax.length)) {
                        return VisionOps.roiPoolBackward(g, a, r, new long[]{1, 1, Math.max(0, c.h()), Math.max(0, c.w())});
                    }
                }, gin -> shaped(gin, 1, 1, c.h(), c.w()));
            } finally {
                closeAll(x, r);
            }
        });
    }

    record NmsCase(Spec boxes, Spec scores, Spec idxs, double threshold) {
    }

    @TestFactory
    Stream<DynamicTest> nmsIsAClearErrorOrIndicesIntoTheBoxes() {
        return SeededCases.of(9004, 200, g -> new NmsCase(boxes(g), vector(g), vector(g), scale(g)), c -> {
            Tensor b = c.boxes().make(), s = c.scores().make(), i = c.idxs().make();
            try {
                java.util.function.Consumer<Tensor> check = keep -> {
                    assertEquals(DType.INT64, keep.dtype());
                    for (long k : keep.toLongArray()) assertTrue(k >= 0 && k < b.shape(0), "index " + k);
                };
                clearOrCorrect("nms " + c, () -> VisionOps.nms(b, s, c.threshold()), check);
                clearOrCorrect("batchedNms " + c, () -> VisionOps.batchedNms(b, s, i, c.threshold()), check);
            } finally {
                closeAll(b, s, i);
            }
        });
    }

    record FocalCase(Spec logits, Spec targets, Spec labels, double gamma, double alpha) {
    }

    @TestFactory
    Stream<DynamicTest> sigmoidFocalLossIsAClearErrorOrALossOfTheLogitsShape() {
        return SeededCases.of(9005, 200, g -> new FocalCase(logits(g), logits(g), vector(g), scale(g), scale(g)), c -> {
            Tensor x = c.logits().make(), t = c.targets().make(), l = c.labels().make();
            try {
                clearOrCorrect("focal " + c, () -> VisionOps.sigmoidFocalLoss(x, t, c.gamma(), c.alpha()),
                        loss -> shaped(loss, x.shape()));
                clearOrCorrect("focal labels " + c, () -> VisionOps.sigmoidFocalLoss(x, l, c.gamma(), c.alpha()),
                        loss -> shaped(loss, x.shape()));
            } finally {
                closeAll(x, t, l);
            }
        });
    }

    record DeformConvCase(Spec input, Spec offset, Spec weight, int[] stride, int[] padding, int[] dilation) {
        @Override
        public String toString() {
            return "DeformConvCase[input=" + input + ", offset=" + offset + ", weight=" + weight + ", stride=" + Arrays.toString(stride)
                    + ", padding=" + Arrays.toString(padding) + ", dilation=" + Arrays.toString(dilation) + "]";
        }
    }

    @TestFactory
    Stream<DynamicTest> deformConv2dIsAClearErrorOrAResult() {
        return SeededCases.of(9006, 150, g -> new DeformConvCase(feature(g), feature(g), feature(g), pair(g), pair(g), pair(g)), c -> {
            Tensor x = c.input().make(), o = c.offset().make(), w = c.weight().make();
            try {
                clearOrCorrect("deformConv2d " + c, () -> VisionOps.deformConv2d(x, o, w, null, c.stride(), c.padding(), c.dilation(), null),
                        out -> assertEquals(4, out.ndim()));
            } finally {
                closeAll(x, o, w);
            }
        });
    }

    record PsRoiPoolCase(Spec data, Spec rois, DeformPsRoiPool.Params params) {
    }

    @TestFactory
    Stream<DynamicTest> deformPsRoiPoolIsAClearErrorOrAResult() {
        return SeededCases.of(9007, 150, g -> new PsRoiPoolCase(feature(g), rois(g), psParams(g)), c -> {
            DeformPsRoiPool.Params p = c.params();
            Tensor d = c.data().make(), r = c.rois().make();
            try {
                clearOrCorrect("deformPsRoiPool " + c, () -> VisionOps.deformPsRoiPool(d, r, null, p),
                        res -> shaped(res.output(), r.shape(0), p.outputDim(), p.pooled(), p.pooled()));
            } finally {
                closeAll(d, r);
            }
        });
    }

    // ---- tensors themselves ----------------------------------------------------------------------

    record FactoryCase(long[] shape, DType dtype, int axis) {
        @Override
        public String toString() {
            return "FactoryCase[shape=" + Arrays.toString(shape) + ", dtype=" + dtype + ", axis=" + axis + "]";
        }
    }

    /**
     * A factory case whose shape is not "fits a long but is huge": a 4 TiB allocation is the
     * machine's business (OutOfMemoryError), not an argument check, so such shapes are drawn again.
     */
    private static FactoryCase factoryCase(Gen g) {
        long[] shape;
        do {
            shape = anyShape(g);
        } while (shape != null && fitsButHuge(shape));
        return new FactoryCase(shape, g.orNull(0.1, () -> anyDtype(g)), g.anyInt());
    }

    @TestFactory
    Stream<DynamicTest> tensorFactoriesAndAccessorsAreAClearErrorOrCorrect() {
        return SeededCases.of(9008, 300, OpPropertiesTest::factoryCase, c -> {
            long[] shape = c.shape();
            int axis = c.axis();
            clearOrCorrect("zeros " + c, () -> Tensor.zeros(c.dtype(), Device.CPU, shape), t -> {
                assertArrayEquals(shape, t.shape());
                clearOrCorrect("shape(" + axis + ")", () -> t.shape(axis), s -> assertEquals(t.shape()[axis < 0 ? t.ndim() + axis : axis], s));
            });
        });
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

    record IntoCase(Spec a, Spec b, Spec out) {
    }

    @TestFactory
    Stream<DynamicTest> elementwiseIntoChecksItsOutput() {
        return SeededCases.of(9009, 100, g -> new IntoCase(smallTensor(g), smallTensor(g), smallTensor(g)), c -> {
            Tensor x = c.a().make(), y = c.b().make(), o = c.out().make();
            try {
                clearOrCorrect("into " + c, () -> {
                    Elementwise.into(Elementwise.ADD, x, y, o);
                    return o;
                }, r -> assertArrayEquals(reference(0, c.a(), c.b()), values(r)));
            } finally {
                closeAll(x, y, o);
            }
        });
    }
}
