package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Deformable convolution, v1 and modulated v2 (DCNv2), with torchvision's {@code deform_conv2d}
 * semantics (docs/ops.md §5), on the CPU (C99 im2col + the library's own GEMM, ne_gemm.h) and CUDA (im2col kernels +
 * cuBLAS where installed, else a tiled GEMM kernel: see {@link CudaGemm}), float32 and float64.
 * Registered as maskrcnn-benchmark's {@code "DeformConv"} (no mask) and {@code "ModulatedDeformConv"} (with mask).
 *
 * <p>Shapes (all NCHW, contiguous, one dtype, one device):
 * <ul>
 *   <li>{@code input [N, C_in, H, W]}</li>
 *   <li>{@code weight [C_out, C_in / groups, kh, kw]}: {@code groups = C_in / weight.shape[1]}</li>
 *   <li>{@code offset [N, 2 * offsetGroups * kh * kw, H_out, W_out]}: {@code offsetGroups =
 *       offset.shape[1] / (2 * kh * kw)}. Channel {@code 2 * (gd * kh * kw + i * kw + j) + axis}
 *       holds, for deformable group {@code gd} and kernel tap {@code (i, j)}, the shift in input
 *       pixels along {@code axis} 0 = y (row) and 1 = x (column): interleaved
 *       {@code [dy0, dx0, dy1, dx1, ...]} in kernel row-major order. Input channel {@code ci}
 *       belongs to deformable group {@code ci / (C_in / offsetGroups)}.</li>
 *   <li>{@code mask [N, offsetGroups * kh * kw, H_out, W_out]} or {@code null} (v1); channel
 *       {@code gd * kh * kw + i * kw + j}; used as given (no sigmoid inside).</li>
 *   <li>{@code bias [C_out]} or {@code null}</li>
 *   <li>output {@code [N, C_out, H_out, W_out]}, {@code H_out = (H + 2 * padding[0] -
 *       (dilation[0] * (kh - 1) + 1)) / stride[0] + 1}, likewise {@code W_out}.</li>
 * </ul>
 * {@code out[b, co, ho, wo] = bias[co] + Σ_{ci in group(co), i, j} weight[co, ci', i, j] · m ·
 * ZP(input[b, ci], ho·s_h − p_h + i·d_h + dy, wo·s_w − p_w + j·d_w + dx)}, where ZP is bilinear
 * sampling with zero padding (a sample with {@code y <= -1, y >= H, x <= -1} or {@code x >= W}
 * is 0, corners outside the image read 0).
 *
 * <p>The offset gradient at a sample point exactly on row or column -1 has two conventions
 * ({@link OffsetGradient}): there the bilinear weights are all 0, but the corners on row/column 0
 * exist. With zero-initialised offsets and padding 1, every border tap of a fresh layer sits
 * exactly there, so the two give different gradients from the first training step.
 * {@link #backward} defaults to torchvision's; maskrcnn-benchmark's {@code DFConv2d} layer uses
 * {@link OffsetGradient#MASKRCNN_BENCHMARK}. Forward values, grad input, grad weight and grad
 * mask are the same under both.
 *
 * <p>The column buffer holds {@code C_in·kh·kw × im2colStep·H_out·W_out} elements; the step
 * (default {@value #DEFAULT_IM2COL_STEP}, as torchvision/maskrcnn-benchmark) is reduced so the
 * buffer stays under {@value #MAX_COLUMN_BYTES} bytes (CUDA; the CPU kernels build the columns
 * image by image in blocks of output positions, at most 2^20 column elements for all threads together,
 * instead). CPU results are bit-identical for any {@link CpuOptions#threads()} and
 * {@link CpuOptions#isa()}: each thread runs a single-threaded GEMM whose every output is one fused
 * multiply-add chain in a fixed order (no OpenBLAS); the CUDA backward uses atomics for grad input.
 */
public final class DeformConv2d {

    public static final int DEFAULT_IM2COL_STEP = 64;
    public static final long MAX_COLUMN_BYTES = 256L << 20;

    /**
     * The offset gradient's convention at sample points exactly on -1 (row or column); the
     * {@code conv[6]} entry of the native entry points ({@code NE_DCN_OFFSET_GRAD_*}).
     */
    public enum OffsetGradient {
        /** From the bilinear neighbours that exist (row/column 0), as torchvision's kernels. */
        TORCHVISION(0),
        /** 0 there, as maskrcnn-benchmark's and mmcv's kernels. */
        MASKRCNN_BENCHMARK(1);

        private final int code;

        OffsetGradient(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** The kernel each device registers: shapes already validated, outputs zero-filled. */
    public interface Kernel {
        void forward(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias, Tensor out,
                     long[] dims, long[] conv, long step);

        void backward(Tensor gradOut, Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor gradInput,
                      Tensor gradOffset, Tensor gradMask, Tensor gradWeight, Tensor gradBias,
                      long[] dims, long[] conv, long step);
    }

    /** v1: no mask (maskrcnn-benchmark's name). */
    public static final Op<Kernel> DEFORM_CONV = new Op<>("DeformConv", Kernel.class);
    /** v2: with a modulation mask. */
    public static final Op<Kernel> MODULATED_DEFORM_CONV = new Op<>("ModulatedDeformConv", Kernel.class);

    /**
     * Gradients of {@link #backward}. {@code gradMask} is null for v1, {@code gradBias} null when
     * no bias was given; each has the shape of its argument.
     */
    public record Gradients(Tensor gradInput, Tensor gradOffset, Tensor gradMask, Tensor gradWeight, Tensor gradBias)
            implements AutoCloseable {
        @Override
        public void close() {
            for (Tensor t : new Tensor[] {gradInput, gradOffset, gradMask, gradWeight, gradBias}) if (t != null) t.close();
        }
    }

    static {
        // The CPU kernels, and the CUDA ones where the CUDA library and a device are there.
        OpRegistry.global().builtins(() -> {
            for (Op<Kernel> op : java.util.List.of(DEFORM_CONV, MODULATED_DEFORM_CONV)) {
                DeformConvNative.LIBRARY.register(op, new DeformConvKernels.Cpu(op.name()), () -> new DeformConvKernels.Cuda(op.name()));
            }
        }, DEFORM_CONV, MODULATED_DEFORM_CONV);
    }

    private DeformConv2d() {
    }

    /** The forward with the default im2col step. See the class documentation for shapes. */
    public static Tensor forward(Tensor input, Tensor offset, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                 int[] dilation, Tensor mask) {
        return forward(input, offset, weight, bias, stride, padding, dilation, mask, DEFAULT_IM2COL_STEP);
    }

    /** The forward, at most {@code im2colStep} images per column buffer. */
    public static Tensor forward(Tensor input, Tensor offset, Tensor weight, Tensor bias, int[] stride, int[] padding,
                                 int[] dilation, Tensor mask, int im2colStep) {
        Op<Kernel> op = mask == null ? DEFORM_CONV : MODULATED_DEFORM_CONV;
        ArgChecks.present(op.name(), "input", input, "offset", offset, "weight", weight, "stride", stride, "padding", padding,
                "dilation", dilation);
        Kernel k = OpRegistry.global().dispatch(op, input, offset, weight, bias, mask);
        Geometry g = Geometry.check(op.name(), input, offset, weight, bias, stride, padding, dilation, mask, im2colStep);
        // The CPU forward writes every output element (no memset: a serial 2.5 MB pass on the
        // benchmark's shape); the CUDA GEMM accumulates into the output (beta = 1), so it starts zeroed.
        Tensor out = input.device().isCuda() ? Tensor.zeros(input.dtype(), input.device(), g.n, g.cout, g.ho, g.wo)
                : Tensor.empty(input.dtype(), input.device(), g.n, g.cout, g.ho, g.wo);
        try {
            k.forward(input, offset, mask, weight, bias, out, g.dims(), g.conv(OffsetGradient.TORCHVISION), g.step);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * The backward for {@code gradOutput [N, C_out, H_out, W_out]}: gradients with respect to
     * input, offset, mask (v2), weight and bias (when {@code bias} is not null; only its presence
     * matters here). The same arguments as the forward.
     */
    public static Gradients backward(Tensor gradOutput, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                     int[] stride, int[] padding, int[] dilation, Tensor mask) {
        return backward(gradOutput, input, offset, weight, bias, stride, padding, dilation, mask, DEFAULT_IM2COL_STEP);
    }

    /** The backward with torchvision's offset-gradient convention. */
    public static Gradients backward(Tensor gradOutput, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                     int[] stride, int[] padding, int[] dilation, Tensor mask, int im2colStep) {
        return backward(gradOutput, input, offset, weight, bias, stride, padding, dilation, mask, im2colStep,
                OffsetGradient.TORCHVISION);
    }

    /** The backward with the offset-gradient convention {@code offsetGradient} (see {@link OffsetGradient}). */
    public static Gradients backward(Tensor gradOutput, Tensor input, Tensor offset, Tensor weight, Tensor bias,
                                     int[] stride, int[] padding, int[] dilation, Tensor mask, int im2colStep,
                                     OffsetGradient offsetGradient) {
        if (offsetGradient == null) throw new IllegalArgumentException("offsetGradient must not be null");
        Op<Kernel> op = mask == null ? DEFORM_CONV : MODULATED_DEFORM_CONV;
        ArgChecks.present(op.name(), "gradOutput", gradOutput, "input", input, "offset", offset, "weight", weight, "stride", stride,
                "padding", padding, "dilation", dilation);
        Kernel k = OpRegistry.global().dispatch(op, gradOutput, input, offset, weight, bias, mask);
        Geometry g = Geometry.check(op.name(), input, offset, weight, bias, stride, padding, dilation, mask, im2colStep);
        long[] want = {g.n, g.cout, g.ho, g.wo};
        if (gradOutput == null || !Arrays.equals(gradOutput.shape(), want) || gradOutput.dtype() != input.dtype()) {
            throw new IllegalArgumentException(op + ": gradOutput must be " + input.dtype() + Arrays.toString(want) + ", got "
                    + (gradOutput == null ? "null" : gradOutput.describe()));
        }
        DType dt = input.dtype();
        Device dev = input.device();
        Tensor gi = null, go = null, gm = null, gw = null, gb = null;
        try {
            // The CPU backward writes every element of every gradient when the batch is not empty
            // (no memsets: ~5 MB of serial passes on the benchmark's shape); CUDA accumulates.
            boolean written = !dev.isCuda() && g.n > 0;
            gi = gradient(written, dt, dev, input.shape());
            go = gradient(written, dt, dev, offset.shape());
            gm = mask == null ? null : gradient(written, dt, dev, mask.shape());
            gw = gradient(written, dt, dev, weight.shape());
            gb = bias == null ? null : gradient(written, dt, dev, bias.shape());
            k.backward(gradOutput, input, offset, mask, weight, gi, go, gm, gw, gb, g.dims(), g.conv(offsetGradient), g.step);
            return new Gradients(gi, go, gm, gw, gb);
        } catch (RuntimeException e) {
            new Gradients(gi, go, gm, gw, gb).close();
            throw e;
        }
    }

    private static Tensor gradient(boolean written, DType dt, Device dev, long[] shape) {
        return written ? Tensor.empty(dt, dev, shape) : Tensor.zeros(dt, dev, shape);
    }

    /** The validated geometry: every IllegalArgumentException names the argument, expected and got. */
    record Geometry(long n, long cin, long h, long w, long cout, long kh, long kw, long ho, long wo, long groups,
                    long dg, int[] stride, int[] padding, int[] dilation, long step) {

        long[] dims() {
            return new long[] {n, cin, h, w, cout, kh, kw, ho, wo, groups, dg};
        }

        long[] conv(OffsetGradient offsetGradient) {
            return new long[] {stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], offsetGradient.code()};
        }

        static Geometry check(String op, Tensor input, Tensor offset, Tensor weight, Tensor bias, int[] stride,
                              int[] padding, int[] dilation, Tensor mask, int im2colStep) {
            rank(op, "input", input, 4);
            rank(op, "offset", offset, 4);
            rank(op, "weight", weight, 4);
            DType dt = input.dtype();
            if (dt != DType.FLOAT32 && dt != DType.FLOAT64) {
                throw new IllegalArgumentException(op + ": input dtype must be FLOAT32 or FLOAT64, got " + dt);
            }
            dtype(op, "offset", offset, dt);
            dtype(op, "weight", weight, dt);
            pair(op, "stride", stride, 1);
            pair(op, "padding", padding, 0);
            pair(op, "dilation", dilation, 1);
            if (im2colStep < 1) throw new IllegalArgumentException(op + ": im2colStep must be >= 1, got " + im2colStep);
            long n = input.shape(0), cin = input.shape(1), h = input.shape(2), w = input.shape(3);
            long cout = weight.shape(0), cpg = weight.shape(1), kh = weight.shape(2), kw = weight.shape(3);
            if (cin < 1 || h < 1 || w < 1) {
                throw new IllegalArgumentException(op + ": input must have C_in, H, W >= 1, got " + Arrays.toString(input.shape()));
            }
            if (cout < 1 || cpg < 1 || kh < 1 || kw < 1 || cin % cpg != 0) {
                throw new IllegalArgumentException(op + ": weight must be [C_out >= 1, C_in/groups, kh >= 1, kw >= 1] with "
                        + "weight.shape[1] dividing C_in = " + cin + ", got " + Arrays.toString(weight.shape()));
            }
            long groups = cin / cpg;
            if (cout % groups != 0) {
                throw new IllegalArgumentException(op + ": weight.shape[0] (C_out) must be divisible by groups = " + groups
                        + ", got " + cout);
            }
            long kk = Math.multiplyExact(kh, kw);
            long oc = offset.shape(1);
            if (oc < 1 || oc % (2 * kk) != 0) {
                throw new IllegalArgumentException(op + ": offset.shape[1] must be 2*offsetGroups*kh*kw = a positive multiple of "
                        + 2 * kk + ", got " + oc);
            }
            long dg = oc / (2 * kk);
            if (cin % dg != 0) {
                throw new IllegalArgumentException(op + ": C_in = " + cin + " must be divisible by offsetGroups, got offsetGroups = " + dg);
            }
            long ho = (h + 2L * padding[0] - ((long) dilation[0] * (kh - 1) + 1)) / stride[0] + 1;
            long wo = (w + 2L * padding[1] - ((long) dilation[1] * (kw - 1) + 1)) / stride[1] + 1;
            if (h + 2L * padding[0] < (long) dilation[0] * (kh - 1) + 1 || w + 2L * padding[1] < (long) dilation[1] * (kw - 1) + 1
                    || ho < 1 || wo < 1) {
                throw new IllegalArgumentException(op + ": output size must be positive: input " + h + "x" + w + ", padding "
                        + Arrays.toString(padding) + ", dilated kernel " + ((long) dilation[0] * (kh - 1) + 1) + "x"
                        + ((long) dilation[1] * (kw - 1) + 1) + ", got " + ho + "x" + wo);
            }
            long[] offWant = {n, oc, ho, wo};
            if (!Arrays.equals(offset.shape(), offWant)) {
                throw new IllegalArgumentException(op + ": offset must be [N, 2*offsetGroups*kh*kw, H_out, W_out] = "
                        + Arrays.toString(offWant) + ", got " + Arrays.toString(offset.shape()));
            }
            if (mask != null) {
                rank(op, "mask", mask, 4);
                dtype(op, "mask", mask, dt);
                long[] mw = {n, dg * kk, ho, wo};
                if (!Arrays.equals(mask.shape(), mw)) {
                    throw new IllegalArgumentException(op + ": mask must be [N, offsetGroups*kh*kw, H_out, W_out] = "
                            + Arrays.toString(mw) + ", got " + Arrays.toString(mask.shape()));
                }
            }
            if (bias != null) {
                dtype(op, "bias", bias, dt);
                if (bias.ndim() != 1 || bias.shape(0) != cout) {
                    throw new IllegalArgumentException(op + ": bias must be [C_out] = [" + cout + "], got " + Arrays.toString(bias.shape()));
                }
            }
            long hw = Math.multiplyExact(ho, wo);
            Math.multiplyExact(Math.multiplyExact(n, cout), hw);
            long colRow = Math.multiplyExact(Math.multiplyExact(cin, kk), hw);
            long perImage = Math.multiplyExact(colRow, dt.size());
            if (Math.multiplyExact(cin, kk) > Integer.MAX_VALUE || hw > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": C_in*kh*kw and H_out*W_out must each fit a 32-bit GEMM dimension, got "
                        + cin * kk + " and " + hw);
            }
            long step = Math.max(1, Math.min(Math.min(im2colStep, Math.max(n, 1)), MAX_COLUMN_BYTES / perImage));
            step = Math.min(step, Integer.MAX_VALUE / hw);
            return new Geometry(n, cin, h, w, cout, kh, kw, ho, wo, groups, dg, stride.clone(), padding.clone(),
                    dilation.clone(), step);
        }

        private static void rank(String op, String name, Tensor t, int r) {
            if (t == null) throw new IllegalArgumentException(op + ": " + name + " must be a rank-" + r + " tensor, got null");
            if (t.ndim() != r) {
                throw new IllegalArgumentException(op + ": " + name + " must have rank " + r + ", got " + t.ndim() + " "
                        + Arrays.toString(t.shape()));
            }
        }

        private static void dtype(String op, String name, Tensor t, DType want) {
            if (t.dtype() != want) {
                throw new IllegalArgumentException(op + ": " + name + " dtype must be " + want + " (the input's), got " + t.dtype());
            }
        }

        private static void pair(String op, String name, int[] v, int min) {
            if (v == null || v.length != 2 || v[0] < min || v[1] < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be 2 ints >= " + min + ", got "
                        + (v == null ? "null" : Arrays.toString(v)));
            }
        }
    }
}
