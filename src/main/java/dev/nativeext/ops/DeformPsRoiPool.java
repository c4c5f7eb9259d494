package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Deformable position-sensitive ROI pooling, maskrcnn-benchmark's {@code DeformRoIPoolingFunction}
 * (docs/ops.md §6.1), registered as {@code "DeformPSROIPooling"}, CPU and CUDA, float32 and float64.
 *
 * <ul>
 *   <li>{@code data [N, C, H, W]} with {@code C = outputDim * groupSize²}</li>
 *   <li>{@code rois [K, 5]} = (batch index, x1, y1, x2, y2) in image pixels, rounded before
 *       scaling by {@code spatialScale}; the end is inclusive and the box is shifted by −0.5</li>
 *   <li>{@code trans [K, 2 * numClasses, partSize, partSize]} or {@code null} (no_trans):
 *       channel {@code 2·cls} is Δx and {@code 2·cls+1} Δy (the opposite order to DCN), in units
 *       of the ROI size times {@code transStd} ∈ [0, 1]</li>
 *   <li>output and {@code topCount} {@code [K, outputDim, P, P]}: the mean of the valid samples
 *       ({@code samplePerPart²} per bin, left-aligned, DP sampler), 0 when none is valid; the
 *       count is what the backward divides by</li>
 * </ul>
 */
public final class DeformPsRoiPool {

    /** Kernel of one device, arguments validated, outputs zero-filled. */
    public interface Kernel {
        void forward(Tensor data, Tensor rois, Tensor trans, Tensor out, Tensor count, long[] dims, long ncls, double scale,
                     double std);

        void backward(Tensor gradOut, Tensor data, Tensor rois, Tensor trans, Tensor count, Tensor gradData,
                      Tensor gradTrans, long[] dims, long ncls, double scale, double std);
    }

    public static final Op<Kernel> OP = new Op<>("DeformPSROIPooling", Kernel.class);

    /** The forward's result: the pooled output and the per-bin sample count. */
    public record Result(Tensor output, Tensor topCount) implements AutoCloseable {
        @Override
        public void close() {
            output.close();
            topCount.close();
        }
    }

    /** Gradients: {@code gradInput} like data, {@code gradTrans} like trans (null for no_trans). */
    public record Gradients(Tensor gradInput, Tensor gradTrans) implements AutoCloseable {
        @Override
        public void close() {
            gradInput.close();
            if (gradTrans != null) gradTrans.close();
        }
    }

    /** Scalar parameters; maskrcnn-benchmark's defaults: groupSize 1, partSize = pooled, samplePerPart 4. */
    public record Params(double spatialScale, int outputDim, int pooled, int partSize, int groupSize, int samplePerPart,
                         double transStd) {
    }

    static {
        OpRegistry.global().builtins(() -> DeformPsroiPoolNative.LIBRARY.register(OP, new CpuKernel(), CudaKernel::new), OP);
    }

    private DeformPsRoiPool() {
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    public static Result forward(Tensor data, Tensor rois, Tensor trans, Params p) {
        ArgChecks.present(OP.name(), "data", data, "rois", rois, "params", p);
        Kernel k = OpRegistry.global().dispatch(OP, data, rois, trans);
        long[] dims = check(data, rois, trans, p);
        long ncls = trans == null ? 1 : trans.shape(1) / 2;
        long[] os = {dims[4], p.outputDim(), p.pooled(), p.pooled()};
        Tensor out = Tensor.zeros(data.dtype(), data.device(), os);
        Tensor cnt = Tensor.zeros(data.dtype(), data.device(), os);
        try {
            k.forward(data, rois, trans, out, cnt, dims, ncls, p.spatialScale(), p.transStd());
        } catch (RuntimeException e) {
            out.close();
            cnt.close();
            throw e;
        }
        return new Result(out, cnt);
    }

    public static Gradients backward(Tensor gradOutput, Tensor data, Tensor rois, Tensor trans, Tensor topCount, Params p) {
        ArgChecks.present(OP.name(), "gradOutput", gradOutput, "data", data, "rois", rois, "topCount", topCount, "params", p);
        Kernel k = OpRegistry.global().dispatch(OP, gradOutput, data, rois, trans, topCount);
        long[] dims = check(data, rois, trans, p);
        long[] os = {dims[4], p.outputDim(), p.pooled(), p.pooled()};
        for (Tensor t : new Tensor[] {gradOutput, topCount}) {
            if (t == null || !Arrays.equals(t.shape(), os) || t.dtype() != data.dtype()) {
                throw new IllegalArgumentException(OP + ": gradOutput and topCount must be " + data.dtype() + Arrays.toString(os)
                        + ", got " + (t == null ? "null" : t.describe()));
            }
        }
        long ncls = trans == null ? 1 : trans.shape(1) / 2;
        Tensor gd = Tensor.zeros(data.dtype(), data.device(), data.shape());
        Tensor gt = trans == null ? null : Tensor.zeros(data.dtype(), data.device(), trans.shape());
        Gradients g = new Gradients(gd, gt);
        try {
            k.backward(gradOutput, data, rois, trans, topCount, gd, gt, dims, ncls, p.spatialScale(), p.transStd());
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** The largest pooled size, part size, group size or samples per part accepted. */
    static final int MAX_GRID = 4096;

    private static long[] check(Tensor data, Tensor rois, Tensor trans, Params p) {
        if (data == null || data.ndim() != 4) throw new IllegalArgumentException(OP + ": data must be [N, C, H, W], got "
                + (data == null ? "null" : Arrays.toString(data.shape())));
        DType dt = data.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT64) throw new IllegalArgumentException(OP + ": data dtype must be FLOAT32 or FLOAT64, got " + dt);
        if (rois == null || rois.ndim() != 2 || rois.shape(1) != 5 || rois.dtype() != dt) {
            throw new IllegalArgumentException(OP + ": rois must be " + dt + "[K, 5], got " + (rois == null ? "null" : rois.describe()));
        }
        if (p.pooled() < 1 || p.partSize() < 1 || p.groupSize() < 1 || p.samplePerPart() < 1 || p.outputDim() < 1) {
            throw new IllegalArgumentException(OP + ": pooled, partSize, groupSize, samplePerPart and outputDim must be >= 1, got " + p);
        }
        if (!(p.transStd() >= 0 && p.transStd() <= 1)) throw new IllegalArgumentException(OP + ": transStd must be in [0, 1], got " + p.transStd());
        if (!(p.spatialScale() > 0) || Double.isInfinite(p.spatialScale())) {
            throw new IllegalArgumentException(OP + ": spatialScale must be finite and > 0, got " + p.spatialScale());
        }
        // Sizes of the sampling grid: beyond these the work (pooled² · samplePerPart² samples per
        // roi and channel) or the products of sizes leave any sensible range.
        for (Object[] v : new Object[][]{{"pooled", p.pooled()}, {"partSize", p.partSize()}, {"groupSize", p.groupSize()},
                {"samplePerPart", p.samplePerPart()}}) {
            if ((int) v[1] > MAX_GRID) {
                throw new IllegalArgumentException(OP + ": " + v[0] + " must be in [1, " + MAX_GRID + "], got " + v[1]);
            }
        }
        long n = data.shape(0), c = data.shape(1), k = rois.shape(0);
        long want = (long) p.outputDim() * p.groupSize() * p.groupSize();
        if (c != want) throw new IllegalArgumentException(OP + ": data channels must be outputDim*groupSize² = " + want + ", got " + c);
        if (trans != null) {
            long[] ts = trans.shape();
            if (trans.ndim() != 4 || trans.dtype() != dt || ts[0] != k || ts[1] < 2 || ts[1] % 2 != 0 || ts[2] != p.partSize()
                    || ts[3] != p.partSize() || p.outputDim() % (ts[1] / 2) != 0) {
                throw new IllegalArgumentException(OP + ": trans must be " + dt + "[K=" + k + ", 2*numClasses (numClasses dividing outputDim="
                        + p.outputDim() + "), partSize=" + p.partSize() + ", " + p.partSize() + "], got " + trans.describe());
            }
        }
        RoiChecks.numel(OP.name(), k, p.outputDim(), p.pooled(), p.pooled(), dt.size());
        if (k > 0 && n < 1) throw new IllegalArgumentException(OP + ": data has N = 0 images but " + k + " rois");
        if (data.shape(2) < 1 || data.shape(3) < 1) throw new IllegalArgumentException(OP + ": data H and W must be >= 1, got " + Arrays.toString(data.shape()));
        double[] r = k == 0 ? new double[0] : rowsAsDouble(rois);
        for (int i = 0; i < k; i++) {
            for (int j = 1; j < 5; j++) {
                if (!Double.isFinite(r[i * 5 + j])) throw new IllegalArgumentException(OP + ": rois[" + i + "] must be finite, got " + r[i * 5 + j]);
            }
            double b = r[i * 5];
            // An integer, as ROIAlign requires: the kernels truncate, so 0.7 silently meant image 0.
            if (!(b >= 0 && b < n && b == Math.rint(b))) {
                throw new IllegalArgumentException(OP + ": rois[" + i + "] batch index must be an integer in [0, " + n + "), got " + b);
            }
        }
        return new long[] {n, c, data.shape(2), data.shape(3), k, p.outputDim(), p.pooled(), p.partSize(), p.groupSize(), p.samplePerPart()};
    }

    private static double[] rowsAsDouble(Tensor rois) {
        // to(CPU) returns the tensor itself when it is already there: close only a copy.
        Tensor h = rois.to(Device.CPU);
        try {
            if (h.dtype() == DType.FLOAT64) return h.toDoubleArray();
            float[] f = h.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        } finally {
            if (h != rois) h.close();
        }
    }

    // dims: N, C, H, W, K, outputDim, pooled, partSize, groupSize, samplePerPart (see check).
    private static final class CpuKernel implements Kernel {
        public void forward(Tensor d, Tensor ro, Tensor t, Tensor o, Tensor c, long[] m, long nc, double s, double sd) {
            Natives.check(DeformPsroiPoolNative.ne_deform_psroi_pool_forward_cpu(d.dtype().code(), d.address(), m[0], m[1], m[2],
                    m[3], ro.address(), m[4], addr(t), nc, m[5], m[6], m[7], m[8], m[9], s, sd, o.address(), c.address(),
                    CpuOptions.threads(), CpuOptions.isa().code()), OP.name());
        }

        public void backward(Tensor g, Tensor d, Tensor ro, Tensor t, Tensor c, Tensor gd, Tensor gt, long[] m, long nc,
                             double s, double sd) {
            Natives.check(DeformPsroiPoolNative.ne_deform_psroi_pool_backward_cpu(d.dtype().code(), g.address(), d.address(),
                    m[0], m[1], m[2], m[3], ro.address(), m[4], addr(t), nc, m[5], m[6], m[7], m[8], m[9], s, sd, c.address(),
                    gd.address(), addr(gt), CpuOptions.threads(), CpuOptions.isa().code()), OP.name());
        }
    }

    private static final class CudaKernel implements Kernel {
        public void forward(Tensor d, Tensor ro, Tensor t, Tensor o, Tensor c, long[] m, long nc, double s, double sd) {
            DeformPsroiPoolNative.LIBRARY.requireKernelImage(d.device());
            Natives.check(DeformPsroiPoolNative.ne_deform_psroi_pool_forward_cuda(d.dtype().code(), d.address(), m[0], m[1], m[2],
                    m[3], ro.address(), m[4], addr(t), nc, m[5], m[6], m[7], m[8], m[9], s, sd, o.address(), c.address(), 0L),
                    OP.name());
        }

        public void backward(Tensor g, Tensor d, Tensor ro, Tensor t, Tensor c, Tensor gd, Tensor gt, long[] m, long nc,
                             double s, double sd) {
            DeformPsroiPoolNative.LIBRARY.requireKernelImage(d.device());
            Natives.check(DeformPsroiPoolNative.ne_deform_psroi_pool_backward_cuda(d.dtype().code(), g.address(), d.address(),
                    m[0], m[1], m[2], m[3], ro.address(), m[4], addr(t), nc, m[5], m[6], m[7], m[8], m[9], s, sd, c.address(),
                    gd.address(), addr(gt), 0L), OP.name());
        }
    }
}
