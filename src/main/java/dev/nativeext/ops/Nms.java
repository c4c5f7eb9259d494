package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.InFlight;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Non-maximum suppression, plain and batched (per category), registered under
 * maskrcnn-benchmark's name {@code "nms"} for the CPU (C99, SIMD variants chosen at run time) and
 * CUDA (the 64-wide bitmask design).
 *
 * <p>{@code boxes [N, 4]} rows are {@code (x1, y1, x2, y2)} in pixels, float32 or float64;
 * {@code scores [N]} of the same dtype. Boxes are visited by decreasing score (ties: lower index
 * first; a NaN score ranks above +inf, as in {@code torch.sort(descending=True)}; -0 equals +0).
 * A box is kept unless an already kept box overlaps it with
 * {@code IoU = inter / (area_i + area_j - inter)} above {@code iouThreshold}, where with offset
 * {@code d} (0 by default) {@code area = (x2-x1+d)(y2-y1+d)} and
 * {@code inter = max(0, min(x2)-max(x1)+d) * max(0, min(y2)-max(y1)+d)}, computed in the boxes'
 * dtype. Degenerate boxes give IoU 0/0 = NaN with each other, which suppresses nothing (docs/ops.md §4).
 * The result is an int64 tensor [K] of kept indices into the inputs, on the inputs' device, by
 * decreasing score unless {@link Options#sortByIndex()}.
 *
 * <p>Defaults are torchvision's ({@link Options#TORCHVISION}); maskrcnn-benchmark's legacy
 * behaviour is {@link Options#MASKRCNN_BENCHMARK_CPU} (pixel-inclusive {@code +1}, suppress on
 * {@code IoU >= t}, output by ascending index) or {@link Options#MASKRCNN_BENCHMARK_CUDA} (the same
 * with {@code >}: MB's CPU and CUDA paths disagree at IoU == t, docs/ops.md §9 T8).
 */
public final class Nms {

    /**
     * How IoU is computed and compared, and the output order.
     *
     * @param offset          {@code d} added to widths, heights and overlaps: 0 (torchvision) or 1
     *                        (maskrcnn-benchmark's pixel-inclusive boxes)
     * @param suppressOnEqual suppress when {@code IoU >= t} (MB CPU) rather than {@code IoU > t}
     * @param sortByIndex     list kept indices in ascending index order (MB) rather than by score
     */
    public record Options(double offset, boolean suppressOnEqual, boolean sortByIndex) {
        public static final Options TORCHVISION = new Options(0, false, false);
        public static final Options MASKRCNN_BENCHMARK_CPU = new Options(1, true, true);
        public static final Options MASKRCNN_BENCHMARK_CUDA = new Options(1, false, true);

        public Options {
            if (offset != 0 && offset != 1) {
                throw new IllegalArgumentException("nms: offset must be 0 (torchvision) or 1 (maskrcnn-benchmark), got " + offset);
            }
        }

        int flags() {
            return suppressOnEqual ? 1 : 0;
        }
    }

    /** The kernel signature; {@code idxs} is null for plain NMS. Inputs are already validated. */
    public interface Kernel {
        Tensor run(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold, Options options);
    }

    public static final Op<Kernel> NMS = new Op<>("nms", Kernel.class);

    static {
        OpRegistry.global().builtins(() -> NmsNative.LIBRARY.register(NMS, Nms::cpu, () -> Nms::cuda), NMS);
    }

    private Nms() {
    }

    /** torchvision's {@code nms}: kept indices [K] int64 by decreasing score. */
    public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
        return nms(boxes, scores, iouThreshold, Options.TORCHVISION);
    }

    public static Tensor nms(Tensor boxes, Tensor scores, double iouThreshold, Options options) {
        ArgChecks.present("nms", "boxes", boxes, "scores", scores, "options", options);
        return run(boxes, scores, null, iouThreshold, options);
    }

    /**
     * torchvision's {@code batched_nms}: NMS per category {@code idxs [N]} (int64); boxes of
     * different categories never suppress each other. Exact: runs NMS per category instead of
     * shifting coordinates. Kept indices [K] int64 by decreasing score over all categories.
     */
    public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold) {
        return batchedNms(boxes, scores, idxs, iouThreshold, Options.TORCHVISION);
    }

    public static Tensor batchedNms(Tensor boxes, Tensor scores, Tensor idxs, double iouThreshold, Options options) {
        if (idxs == null) throw new IllegalArgumentException("batchedNms: idxs is null; use nms for a single category");
        ArgChecks.present("batchedNms", "boxes", boxes, "scores", scores, "options", options);
        return run(boxes, scores, idxs, iouThreshold, options);
    }

    private static Tensor run(Tensor boxes, Tensor scores, Tensor idxs, double thr, Options options) {
        if (boxes == null || scores == null) throw new IllegalArgumentException("nms: boxes and scores must not be null");
        if (options == null) throw new IllegalArgumentException("nms: options must not be null");
        Kernel k = OpRegistry.global().dispatch(NMS, boxes, scores, idxs);
        validate(boxes, scores, idxs, thr);
        Tensor keep = k.run(boxes, scores, idxs, thr, options);
        if (!options.sortByIndex()) return keep;
        long[] v = keep.toLongArray();
        Device dev = keep.device();
        keep.close();
        Arrays.sort(v);
        return onDevice(Tensor.of(v, v.length), dev);
    }

    static void validate(Tensor boxes, Tensor scores, Tensor idxs, double thr) {
        DType dt = boxes.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT64) {
            throw new IllegalArgumentException("nms: boxes must be float32 or float64, got " + dt);
        }
        long[] bs = boxes.shape();
        if (bs.length != 2 || bs[1] != 4) {
            throw new IllegalArgumentException("nms: boxes must be [N, 4] (x1, y1, x2, y2), got " + Arrays.toString(bs));
        }
        long n = bs[0];
        if (scores.dtype() != dt) throw new IllegalArgumentException("nms: scores must have the dtype of boxes (" + dt + "), got " + scores.dtype());
        if (scores.ndim() != 1 || scores.shape(0) != n) {
            throw new IllegalArgumentException("nms: scores must be [" + n + "], got " + Arrays.toString(scores.shape()));
        }
        if (idxs != null) {
            if (idxs.dtype() != DType.INT64) throw new IllegalArgumentException("nms: idxs must be int64, got " + idxs.dtype());
            if (idxs.ndim() != 1 || idxs.shape(0) != n) {
                throw new IllegalArgumentException("nms: idxs must be [" + n + "], got " + Arrays.toString(idxs.shape()));
            }
        }
        if (!Double.isFinite(thr)) throw new IllegalArgumentException("nms: iouThreshold must be finite, got " + thr);
        if (n > Integer.MAX_VALUE / 8) throw new IllegalArgumentException("nms: " + n + " boxes; at most " + Integer.MAX_VALUE / 8);
        // Non-finite coordinates crash the reference kernels (docs/ops.md §0); reject them by index.
        if (n == 0) return;
        // Scanned natively in place (a CUDA tensor via a host copy): no copy into a Java array.
        Tensor host = boxes.device().isCuda() ? boxes.to(Device.CPU) : boxes;
        long[] bad = new long[1];
        try (InFlight held = InFlight.of(host)) {
            Natives.check(NmsNative.ne_nms_find_nonfinite(dt.code(), n, host.address(), bad), "nms");
            if (bad[0] >= 0) {
                int flat = (int) bad[0];
                badBox(flat, dt == DType.FLOAT32 ? host.toFloatArray()[flat] : host.toDoubleArray()[flat]);
            }
        } finally {
            if (host != boxes) host.close();
        }
    }

    private static void badBox(int flat, double v) {
        throw new IllegalArgumentException("nms: boxes[" + flat / 4 + "] has a non-finite coordinate " + v + " at column " + flat % 4
                + "; boxes must be finite");
    }

    private static Tensor onDevice(Tensor host, Device dev) {
        if (!dev.isCuda()) return host;
        try (host) {
            return host.to(dev);
        }
    }

    private static Tensor cpu(Tensor boxes, Tensor scores, Tensor idxs, double thr, Options o) {
        int n = (int) boxes.shape(0);
        if (n == 0) return Tensor.of(new long[0], 0);
        long[] keep = new long[n];
        long[] count = new long[1];
        Natives.check(NmsNative.ne_nms_cpu(boxes.dtype().code(), n, boxes.address(), scores.address(),
                idxs == null ? 0L : idxs.address(), thr, o.offset(), o.flags(), CpuOptions.threads(), CpuOptions.isa().code(),
                keep, count), "nms");
        int k = (int) count[0];
        return Tensor.of(Arrays.copyOf(keep, k), k);
    }

    private static Tensor cuda(Tensor boxes, Tensor scores, Tensor idxs, double thr, Options o) {
        Device dev = boxes.device();
        int n = (int) boxes.shape(0);
        if (n == 0) return onDevice(Tensor.of(new long[0], 0), dev);
        NmsNative.LIBRARY.requireKernelImage(dev);
        long[] bytes = new long[1];
        Natives.check(NmsNative.ne_nms_cuda_workspace(boxes.dtype().code(), n, bytes), "nms");
        try (Tensor ws = Tensor.empty(DType.UINT8, dev, bytes[0]);
             Tensor keep = Tensor.empty(DType.INT64, dev, n);
             Tensor count = Tensor.zeros(DType.INT64, dev, 1)) {
            Natives.check(NmsNative.ne_nms_cuda(boxes.dtype().code(), n, boxes.address(), scores.address(),
                    idxs == null ? 0L : idxs.address(), thr, o.offset(), o.flags(), ws.address(), bytes[0], keep.address(),
                    count.address(), 0L), "nms");
            long k;
            try (Tensor c = count.to(Device.CPU)) {
                k = c.toLongArray()[0];
            }
            long[] all;
            try (Tensor h = keep.to(Device.CPU)) {
                all = h.toLongArray();
            }
            return onDevice(Tensor.of(Arrays.copyOf(all, (int) k), k), dev);
        }
    }
}
