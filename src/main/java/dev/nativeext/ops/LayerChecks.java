package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * Argument checks shared by the layer ops ({@link ChannelAffine}, {@link GroupNorm},
 * {@link MaxPool2d}, {@link UpsampleNearest}, {@link Activation}, {@link DfConv2dLayer}); every
 * message names the op, the argument, what was expected and what came.
 */
final class LayerChecks {

    private LayerChecks() {
    }

    static void notNull(String op, String name, Object v) {
        if (v == null) throw new IllegalArgumentException(op + ": " + name + " must not be null");
    }

    /** A float32 or float64 tensor. */
    static void floating(String op, String name, Tensor t) {
        notNull(op, name, t);
        t.checkOpen();
        if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException(op + ": " + name + " must be float32 or float64, got " + t.dtype());
        }
    }

    /** A float32 or float64 NCHW tensor [N, C, H, W]. */
    static void nchw(String op, String name, Tensor t) {
        floating(op, name, t);
        if (t.ndim() != 4) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank 4 [N, C, H, W], got shape " + Arrays.toString(t.shape()));
        }
    }

    /** {@code t} (when not null) has {@code ref}'s dtype and the given shape. */
    static void like(String op, String name, Tensor t, Tensor ref, long... shape) {
        if (t == null) return;
        t.checkOpen();
        if (t.dtype() != ref.dtype()) {
            throw new IllegalArgumentException(op + ": " + name + " must have the input's dtype " + ref.dtype() + ", got " + t.dtype());
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(t.shape()));
        }
    }

    /** A pair (h, w) of ints >= min; a single int stands for both. */
    static int[] pair(String op, String name, int[] v, int min) {
        if (v == null || (v.length != 1 && v.length != 2)) {
            throw new IllegalArgumentException(op + ": " + name + " must be 1 or 2 ints, got " + (v == null ? "null" : Arrays.toString(v)));
        }
        int[] p = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
        if (p[0] < min || p[1] < min) {
            throw new IllegalArgumentException(op + ": " + name + " must be >= " + min + ", got " + Arrays.toString(v));
        }
        return p;
    }

    static long[] shape4(long n, long c, long h, long w) {
        return new long[] {n, c, h, w};
    }
}
