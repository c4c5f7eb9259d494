package dev.nativeext.model;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

/**
 * The few layers the backbone needs besides convolution, deformable convolution and ROIAlign,
 * float32 on the host, written plainly in Java. They stand in for the native layers of the
 * layers issue (GroupNorm, max-pool, nearest upsampling, sigmoid) until those are merged; each
 * is a single pass with PyTorch's semantics and arithmetic order where it matters (GroupNorm's
 * statistics in double, then float32 normalisation).
 */
final class Layers {

    private Layers() {
    }

    private static float[] data(Tensor x, String op) {
        if (x.dtype() != DType.FLOAT32) throw new IllegalArgumentException(op + ": expects float32, got " + x.dtype());
        return x.toFloatArray();
    }

    private static void rank4(Tensor x, String op) {
        if (x.ndim() != 4) throw new IllegalArgumentException(op + ": expects [N, C, H, W], got " + java.util.Arrays.toString(x.shape()));
    }

    /** {@code max_pool2d(x, k, s, p)} with PyTorch's floor output size; padding counts as -inf. */
    static Tensor maxPool2d(Tensor x, int k, int s, int p) {
        rank4(x, "max_pool2d");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], h = (int) sh[2], w = (int) sh[3];
        int ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1;
        float[] in = data(x, "max_pool2d"), out = new float[n * c * ho * wo];
        for (int plane = 0; plane < n * c; plane++) {
            int ib = plane * h * w, ob = plane * ho * wo;
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < k; ky++) {
                        int y = oy * s - p + ky;
                        if (y < 0 || y >= h) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int xx = ox * s - p + kx;
                            if (xx < 0 || xx >= w) continue;
                            float v = in[ib + y * w + xx];
                            if (v > m || Float.isNaN(v)) m = v;
                        }
                    }
                    out[ob + oy * wo + ox] = m;
                }
            }
        }
        return Tensor.of(out, n, c, ho, wo);
    }

    /** Nearest-neighbour upsampling by 2 ({@code F.interpolate(scale_factor=2, mode="nearest")}). */
    static Tensor upsampleNearest2x(Tensor x) {
        rank4(x, "upsample_nearest");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], h = (int) sh[2], w = (int) sh[3];
        float[] in = data(x, "upsample_nearest"), out = new float[n * c * 4 * h * w];
        for (int plane = 0; plane < n * c; plane++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int xx = 0; xx < 2 * w; xx++) out[(plane * 2 * h + y) * 2 * w + xx] = in[(plane * h + y / 2) * w + xx / 2];
            }
        }
        return Tensor.of(out, n, c, 2L * h, 2L * w);
    }

    /**
     * GroupNorm with affine {@code weight}/{@code bias} [C], then {@code + residual} (may be null),
     * then ReLU when {@code relu}.
     */
    static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, Tensor residual, boolean relu) {
        rank4(x, "group_norm");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], hw = (int) (sh[2] * sh[3]);
        if (c % groups != 0) throw new IllegalArgumentException("group_norm: " + groups + " groups do not divide " + c + " channels");
        float[] in = data(x, "group_norm"), g = weight.toFloatArray(), b = bias.toFloatArray();
        float[] r = residual == null ? null : data(residual, "group_norm residual");
        float[] out = new float[in.length];
        int cpg = c / groups;
        for (int i = 0; i < n; i++) {
            for (int gi = 0; gi < groups; gi++) {
                int base = (i * c + gi * cpg) * hw, len = cpg * hw;
                double sum = 0, sq = 0;
                for (int j = 0; j < len; j++) sum += in[base + j];
                double mean = sum / len;
                for (int j = 0; j < len; j++) {
                    double d = in[base + j] - mean;
                    sq += d * d;
                }
                double rstd = 1.0 / Math.sqrt(sq / len + eps);
                for (int cc = 0; cc < cpg; cc++) {
                    int ch = gi * cpg + cc;
                    float scale = (float) (g[ch] * rstd), shift = (float) (b[ch] - mean * rstd * g[ch]);
                    for (int j = 0; j < hw; j++) {
                        int at = base + cc * hw + j;
                        float v = in[at] * scale + shift;
                        if (r != null) v += r[at];
                        out[at] = relu && v < 0 ? 0 : v;
                    }
                }
            }
        }
        return Tensor.of(out, sh);
    }

    /** {@code max(x, 0)} into a new tensor. */
    static Tensor relu(Tensor x) {
        float[] a = data(x, "relu");
        for (int i = 0; i < a.length; i++) if (a[i] < 0) a[i] = 0;
        return Tensor.of(a, x.shape());
    }

    /** Channels {@code [from, to)} of {@code x [N, C, H, W]}, optionally through a sigmoid. */
    static Tensor channels(Tensor x, int from, int to, boolean sigmoid) {
        rank4(x, "channels");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], hw = (int) (sh[2] * sh[3]), k = to - from;
        float[] in = data(x, "channels"), out = new float[n * k * hw];
        for (int i = 0; i < n; i++) {
            System.arraycopy(in, (i * c + from) * hw, out, i * k * hw, k * hw);
        }
        if (sigmoid) for (int i = 0; i < out.length; i++) out[i] = (float) (1.0 / (1.0 + Math.exp(-out[i])));
        return Tensor.of(out, n, k, sh[2], sh[3]);
    }

    /** {@code adaptive_avg_pool2d(x, 1)}: [N, C, 1, 1]. */
    static Tensor globalAveragePool(Tensor x) {
        rank4(x, "avgpool");
        long[] sh = x.shape();
        int n = (int) sh[0], c = (int) sh[1], hw = (int) (sh[2] * sh[3]);
        float[] in = data(x, "avgpool"), out = new float[n * c];
        for (int p = 0; p < n * c; p++) {
            float s = 0;
            for (int j = 0; j < hw; j++) s += in[p * hw + j];
            out[p] = s / hw;
        }
        return Tensor.of(out, n, c, 1, 1);
    }

    /** {@code x} with a new shape of the same element count (a copy). */
    static Tensor reshape(Tensor x, long... shape) {
        return Tensor.fromBytes(x.dtype(), java.nio.ByteBuffer.wrap(x.toRawBytes()), shape);
    }
}
