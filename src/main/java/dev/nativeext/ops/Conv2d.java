package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * 2-D convolution with PyTorch's {@code conv2d} semantics (cross-correlation, zero padding), on
 * the CPU (C99: im2col + the project's deterministic GEMM; Winograd F(4×4,3×3) for float32 3×3
 * stride-1 convolutions on large enough planes; the project's own register-blocked direct kernel
 * for float32 1×1 stride-1 convolutions and for those with at most 4 input channels, such as the
 * RGB stem, whose 7-wide stride-2 rows it computes by 1-D Winograd F(4,4) over the two column
 * phases, within the direct kernel's error bound) and CUDA
 * (the project's own kernel), float32 and float64, with a fused epilogue so that a ResNet's
 * {@code conv → frozen BN → (+ identity) → ReLU} is one call and one pass over the output.
 * Registered as maskrcnn-benchmark's {@code "Conv2d"}.
 *
 * <p>Shapes (NCHW, contiguous, one dtype, one device):
 * <ul>
 *   <li>{@code input [N, C_in, H, W]}, every size ≥ 1</li>
 *   <li>{@code weight [C_out, C_in / groups, kh, kw]}; {@code C_in} and {@code C_out} divisible by {@code groups}</li>
 *   <li>{@code bias [C_out]} or {@code null}</li>
 *   <li>output {@code [N, C_out, H_out, W_out]}, {@code H_out = (H + 2·padH − (dilH·(kh − 1) + 1)) / strideH + 1},
 *       likewise {@code W_out}; both ≥ 1</li>
 * </ul>
 * The epilogue, in this order: {@code y = conv + bias}; {@code y = y·scale[co] + shift[co]}
 * (a frozen batch norm folded in); {@code y = y + residual} ({@code residual} has the output's
 * shape); {@code y = max(y, 0)} (NaN stays NaN). The output of {@link #forward(Tensor, Tensor,
 * Tensor, Params, Epilogue, Tensor)} must not overlap the other tensors, except that the
 * residual may be the output itself (an in-place accumulate).
 *
 * <p>CPU results are bit-identical for any {@link CpuOptions#threads()} and {@link CpuOptions#isa()}.
 * A layer run many times should use {@link #prepare}: its weights are laid out for the CPU path
 * once instead of on every call, with the same results. Winograd's float32 results differ from a direct convolution by
 * about {@code 1e-6 · Σ|w|·|x|} (see {@code Conv2dTest}).
 */
public final class Conv2d {

    /** Which CPU algorithm runs (tests compare them); the CUDA kernel ignores it. */
    enum Algo { AUTO, GEMM, WINOGRAD, DIRECT }

    /** The kernel each device registers: shapes validated, output allocated (not zeroed). */
    public interface Kernel {
        /**
         * {@code dims = {N, C_in, H, W, C_out, kh, kw, H_out, W_out, groups}}, {@code conv =
         * {strideH, strideW, padH, padW, dilH, dilW}}; {@code algo} is {@code Algo.ordinal()}.
         */
        void forward(Tensor input, Tensor weight, Tensor bias, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                     Tensor out, long[] dims, long[] conv, int algo);

        /**
         * {@link #forward} with {@code p}'s weights, bias, scale and shift, on whatever this device
         * prepared for them ({@link #prepare}); by default the plain forward.
         */
        default void forwardPrepared(PreparedConv2d p, Tensor input, Tensor residual, boolean relu, Tensor out, long[] dims,
                                     long[] conv, int algo) {
            forward(input, p.weight(), p.bias(), p.scale(), p.shift(), residual, relu, out, dims, conv, algo);
        }

        /**
         * {@link #forwardPrepared} (no residual) with {@link MaxPool2d} fused after it, {@code pool =
         * {kh, kw, sh, sw, ph, pw, dh, dw}}, into {@code out [N, C_out, OH, OW]}, if this device has a
         * fused kernel for these shapes: then true; false (nothing done) otherwise, and the caller
         * runs the two ops. By default false.
         */
        default boolean forwardPreparedMaxPool(PreparedConv2d p, Tensor input, boolean relu, Tensor out, long[] dims, long[] conv,
                                               long[] pool) {
            return false;
        }

        /** Prepares what {@link #forwardPrepared} will need for these shapes (by default nothing). */
        default void prepare(PreparedConv2d p, long[] dims, long[] conv, int algo) {
        }
    }

    public static final Op<Kernel> CONV2D = new Op<>("Conv2d", Kernel.class);

    /** Stride, padding, dilation (each ≥ 1, ≥ 0, ≥ 1) and groups (≥ 1). */
    public record Params(int strideH, int strideW, int padH, int padW, int dilH, int dilW, int groups) {
        public Params {
            at("stride", strideH, strideW, 1);
            at("padding", padH, padW, 0);
            at("dilation", dilH, dilW, 1);
            if (groups < 1) throw new IllegalArgumentException("Conv2d: groups must be >= 1, got " + groups);
        }

        public static Params of(int strideH, int strideW, int padH, int padW, int dilH, int dilW, int groups) {
            return new Params(strideH, strideW, padH, padW, dilH, dilW, groups);
        }

        /** The same stride, padding and dilation along both axes. */
        public static Params of(int stride, int padding, int dilation, int groups) {
            return new Params(stride, stride, padding, padding, dilation, dilation, groups);
        }

        long[] conv() {
            return new long[] {strideH, strideW, padH, padW, dilH, dilW};
        }

        private static void at(String name, int h, int w, int min) {
            if (h < min || w < min) {
                throw new IllegalArgumentException("Conv2d: " + name + " must be >= " + min + " along both axes, got [" + h + ", " + w + "]");
            }
        }
    }

    /**
     * What runs on the convolution's result before it is stored, in the order
     * scale/shift → residual → ReLU. Immutable: each method returns a new epilogue.
     * {@code Epilogue.none().scaleShift(scale, shift).residual(identity).relu()}.
     */
    public static final class Epilogue {
        private static final Epilogue NONE = new Epilogue(null, null, null, false);

        private final Tensor scale;
        private final Tensor shift;
        private final Tensor residual;
        private final boolean relu;

        private Epilogue(Tensor scale, Tensor shift, Tensor residual, boolean relu) {
            this.scale = scale;
            this.shift = shift;
            this.residual = residual;
            this.relu = relu;
        }

        public static Epilogue none() {
            return NONE;
        }

        /** {@code y·scale[co] + shift[co]}, both {@code [C_out]}, the input's dtype and device. */
        public Epilogue scaleShift(Tensor scale, Tensor shift) {
            if (scale == null || shift == null) {
                throw new IllegalArgumentException("Conv2d: scaleShift needs both scale and shift, got scale "
                        + (scale == null ? "null" : scale.describe()) + ", shift " + (shift == null ? "null" : shift.describe()));
            }
            return new Epilogue(scale, shift, residual, relu);
        }

        /** {@code y + r}, {@code r} of the output's shape. */
        public Epilogue residual(Tensor r) {
            if (r == null) throw new IllegalArgumentException("Conv2d: residual must be a tensor, got null");
            return new Epilogue(scale, shift, r, relu);
        }

        public Epilogue relu() {
            return new Epilogue(scale, shift, residual, true);
        }

        public Tensor scale() {
            return scale;
        }

        public Tensor shift() {
            return shift;
        }

        public Tensor residual() {
            return residual;
        }

        public boolean hasRelu() {
            return relu;
        }

        @Override
        public String toString() {
            return "Epilogue[" + (scale != null ? "scaleShift " : "") + (residual != null ? "residual " : "") + (relu ? "relu" : "")
                    + "]";
        }
    }

    static {
        OpRegistry.global().builtins(() -> {
            Conv2dNative.LIBRARY.register(CONV2D, new Conv2dKernels.Cpu(), Conv2dKernels.Cuda::new);
        }, CONV2D);
    }

    private Conv2d() {
    }


    /** The output shape {@code [N, C_out, H_out, W_out]} (validates as {@link #forward} does). */
    public static long[] outputShape(Tensor input, Tensor weight, Params params) {
        Geometry g = Geometry.check(input, weight, null, params, Epilogue.none());
        return new long[] {g.n, g.cout, g.ho, g.wo};
    }

    /** A new output; {@code bias} and {@code epilogue} may be null. */
    public static Tensor forward(Tensor input, Tensor weight, Tensor bias, Params params, Epilogue epilogue) {
        return run(input, weight, bias, params, epilogue, null, Algo.AUTO);
    }

    /** Writes into {@code out} ({@code [N, C_out, H_out, W_out]}, the input's dtype and device) and returns it. */
    public static Tensor forward(Tensor input, Tensor weight, Tensor bias, Params params, Epilogue epilogue, Tensor out) {
        if (out == null) throw new IllegalArgumentException("Conv2d: out must be a tensor, got null");
        return run(input, weight, bias, params, epilogue, out, Algo.AUTO);
    }

    /**
     * A convolution whose weights are prepared once (see {@link PreparedConv2d}); {@code bias},
     * {@code scale} and {@code shift} may be null (scale and shift together), and all stay the
     * caller's, unchanged, until the result is closed.
     */
    public static PreparedConv2d prepare(Tensor weight, Tensor bias, Params params, Tensor scale, Tensor shift) {
        return new PreparedConv2d(weight, bias, params, scale, shift);
    }

    /** As {@link #forward}, with the CPU algorithm chosen (tests). */
    static Tensor run(Tensor input, Tensor weight, Tensor bias, Params params, Epilogue epilogue, Tensor out, Algo algo) {
        return run(null, input, weight, bias, params, epilogue, out, algo);
    }

    /** {@code p}'s forward ({@link PreparedConv2d#run}): the same validation as an unprepared call. */
    static Tensor runPrepared(PreparedConv2d p, Tensor input, Tensor bias, Params params, Epilogue epilogue, Tensor out, Algo algo) {
        return run(p, input, p.weight(), bias, params, epilogue, out, algo);
    }

    private static Tensor run(PreparedConv2d p, Tensor input, Tensor weight, Tensor bias, Params params, Epilogue epilogue, Tensor out,
                              Algo algo) {
        Epilogue e = epilogue == null ? Epilogue.none() : epilogue;
        Geometry g = Geometry.check(input, weight, bias, params, e);
        Kernel k = OpRegistry.global().dispatch(CONV2D, input, weight, bias, e.scale, e.shift, e.residual, out);
        long[] shape = {g.n, g.cout, g.ho, g.wo};
        if (out != null) {
            g.checkOut(out, input, weight, bias, e);
        }
        if (algo == Algo.WINOGRAD && !(g.winogradFits(input.dtype()) && params.strideH() == 1 && params.strideW() == 1
                && params.dilH() == 1 && params.dilW() == 1)) {
            throw new IllegalArgumentException("Conv2d: Winograd needs float32, a 3x3 kernel, stride 1, dilation 1 and groups 1, got "
                    + input.dtype() + " " + g.kh + "x" + g.kw + " " + params);
        }
        if (algo == Algo.DIRECT && !g.directFits(input.dtype(), params)) {
            throw new IllegalArgumentException("Conv2d: the direct kernel needs float32, groups 1 and either at most 4 input "
                    + "channels, stride_w <= 2 and dilation_w 1, or a 1x1 kernel with no padding, got " + input.dtype()
                    + " C_in " + g.cin + " " + g.kh + "x" + g.kw + " " + params);
        }
        Tensor o = out != null ? out : Tensor.empty(input.dtype(), input.device(), shape);
        try {
            if (p != null) k.forwardPrepared(p, input, e.residual, e.relu, o, g.dims(), params.conv(), algo.ordinal());
            else k.forward(input, weight, bias, e.scale, e.shift, e.residual, e.relu, o, g.dims(), params.conv(), algo.ordinal());
        } catch (RuntimeException ex) {
            if (out == null) o.close();
            throw ex;
        }
        return o;
    }

    /** The validated geometry: every IllegalArgumentException names the argument, expected and got. */
    record Geometry(long n, long cin, long h, long w, long cout, long kh, long kw, long ho, long wo, long groups) {

        long[] dims() {
            return new long[] {n, cin, h, w, cout, kh, kw, ho, wo, groups};
        }

        boolean winogradFits(DType dt) {
            return dt == DType.FLOAT32 && kh == 3 && kw == 3 && groups == 1;
        }

        /**
         * The CPU's direct kernels (ne_conv2d_cpu.c): few input channels (the RGB stem) or a 1x1
         * stride-1 unpadded convolution (ResNet's 1x1 layers).
         */
        boolean directFits(DType dt, Params p) {
            boolean fewChannels = cin <= 4 && p.strideW() <= 2 && p.dilW() == 1;
            boolean pointwise = kh == 1 && kw == 1 && p.padH() == 0 && p.padW() == 0;
            return dt == DType.FLOAT32 && groups == 1 && (fewChannels || pointwise);
        }

        static Geometry check(Tensor input, Tensor weight, Tensor bias, Params p, Epilogue e) {
            if (p == null) throw new IllegalArgumentException("Conv2d: params must be given (Conv2d.Params.of(...)), got null");
            rank("input", input, 4);
            return check(input.dtype(), input.shape(), weight, bias, p, e);
        }

        /** As {@link #check(Tensor, Tensor, Tensor, Params, Epilogue)} for an input of this dtype and shape (rank 4). */
        static Geometry check(DType dt, long[] inShape, Tensor weight, Tensor bias, Params p, Epilogue e) {
            if (p == null) throw new IllegalArgumentException("Conv2d: params must be given (Conv2d.Params.of(...)), got null");
            rank("weight", weight, 4);
            if (dt != DType.FLOAT32 && dt != DType.FLOAT64) {
                throw new IllegalArgumentException("Conv2d: input dtype must be FLOAT32 or FLOAT64, got " + dt);
            }
            dtype("weight", weight, dt);
            long n = inShape[0], cin = inShape[1], h = inShape[2], w = inShape[3];
            if (n < 1 || cin < 1 || h < 1 || w < 1) {
                throw new IllegalArgumentException("Conv2d: input must be [N, C_in, H, W] with every size >= 1, got "
                        + Arrays.toString(inShape));
            }
            long groups = p.groups();
            if (cin % groups != 0) {
                throw new IllegalArgumentException("Conv2d: input.shape[1] (C_in = " + cin + ") must be divisible by groups = " + groups);
            }
            long cout = weight.shape(0), cpg = weight.shape(1), kh = weight.shape(2), kw = weight.shape(3);
            if (cout < 1 || kh < 1 || kw < 1 || cpg != cin / groups) {
                throw new IllegalArgumentException("Conv2d: weight must be [C_out >= 1, C_in/groups = " + cin / groups
                        + ", kh >= 1, kw >= 1], got " + Arrays.toString(weight.shape()));
            }
            if (cout % groups != 0) {
                throw new IllegalArgumentException("Conv2d: weight.shape[0] (C_out = " + cout + ") must be divisible by groups = " + groups);
            }
            long eh = (long) p.dilH() * (kh - 1) + 1, ew = (long) p.dilW() * (kw - 1) + 1;
            if (h + 2L * p.padH() < eh || w + 2L * p.padW() < ew) {
                throw new IllegalArgumentException("Conv2d: output size must be positive: input " + h + "x" + w + ", padding ["
                        + p.padH() + ", " + p.padW() + "], dilated kernel " + eh + "x" + ew);
            }
            long ho = (h + 2L * p.padH() - eh) / p.strideH() + 1, wo = (w + 2L * p.padW() - ew) / p.strideW() + 1;
            if (bias != null) vector("bias", bias, dt, cout);
            if (e.scale != null) vector("scale", e.scale, dt, cout);
            if (e.shift != null) vector("shift", e.shift, dt, cout);
            long[] os = {n, cout, ho, wo};
            if (e.residual != null) {
                dtype("residual", e.residual, dt);
                if (!Arrays.equals(e.residual.shape(), os)) {
                    throw new IllegalArgumentException("Conv2d: residual must have the output's shape " + Arrays.toString(os) + ", got "
                            + Arrays.toString(e.residual.shape()));
                }
            }
            long kk = Math.multiplyExact(Math.multiplyExact(cpg, kh), kw);
            long hw = Math.multiplyExact(ho, wo);
            Math.multiplyExact(Math.multiplyExact(n, cout), hw);
            if (kk > Integer.MAX_VALUE || hw > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Conv2d: C_in/groups*kh*kw and H_out*W_out must each fit a 32-bit GEMM dimension, got "
                        + kk + " and " + hw);
            }
            return new Geometry(n, cin, h, w, cout, kh, kw, ho, wo, groups);
        }

        void checkOut(Tensor out, Tensor input, Tensor weight, Tensor bias, Epilogue e) {
            long[] os = {n, cout, ho, wo};
            dtype("out", out, input.dtype());
            if (!Arrays.equals(out.shape(), os)) {
                throw new IllegalArgumentException("Conv2d: out must have shape " + Arrays.toString(os) + ", got " + Arrays.toString(out.shape()));
            }
            String[] names = {"input", "weight", "bias", "scale", "shift"};
            Tensor[] others = {input, weight, bias, e.scale, e.shift};
            for (int i = 0; i < names.length; i++) {
                if (others[i] != null && overlaps(out, others[i])) {
                    throw new IllegalArgumentException("Conv2d: out must not overlap " + names[i] + " (its memory is read while out is written)");
                }
            }
            Tensor r = e.residual;
            if (r != null && overlaps(out, r) && !(r.address() == out.address())) {
                throw new IllegalArgumentException("Conv2d: residual must be out itself or not overlap it, got a partial overlap");
            }
        }

        private static boolean overlaps(Tensor a, Tensor b) {
            if (!a.device().equals(b.device())) return false;
            long a0 = a.address(), a1 = a0 + a.bytes(), b0 = b.address(), b1 = b0 + b.bytes();
            return a0 < b1 && b0 < a1;
        }

        private static void rank(String name, Tensor t, int r) {
            if (t == null) throw new IllegalArgumentException("Conv2d: " + name + " must be a rank-" + r + " tensor, got null");
            if (t.ndim() != r) {
                throw new IllegalArgumentException("Conv2d: " + name + " must have rank " + r + ", got " + t.ndim() + " "
                        + Arrays.toString(t.shape()));
            }
        }

        private static void dtype(String name, Tensor t, DType want) {
            if (t.dtype() != want) {
                throw new IllegalArgumentException("Conv2d: " + name + " dtype must be " + want + " (the input's), got " + t.dtype());
            }
        }

        private static void vector(String name, Tensor t, DType dt, long cout) {
            dtype(name, t, dt);
            if (t.ndim() != 1 || t.shape(0) != cout) {
                throw new IllegalArgumentException("Conv2d: " + name + " must be [C_out] = [" + cout + "], got " + Arrays.toString(t.shape()));
            }
        }
    }
}
