package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/** Argument checks shared by the roi ops ({@link RoiAlign}, {@link RoiPool}); messages name the argument. */
final class RoiChecks {

    private RoiChecks() {
    }

    static void floating(String op, String name, Tensor t) {
        if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException(op + ": " + name + " must be float32 or float64, got " + t.dtype());
        }
    }

    static void rank(String op, String name, Tensor t, int rank, String layout) {
        if (t.ndim() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + rank + " " + layout + ", got shape "
                    + Arrays.toString(t.shape()));
        }
    }

    static void positive(String op, String name, long v) {
        if (v <= 0) throw new IllegalArgumentException(op + ": " + name + " must be > 0, got " + v);
    }

    static void scale(String op, double s) {
        if (!(s > 0) || Double.isInfinite(s)) {
            throw new IllegalArgumentException(op + ": spatialScale must be finite and > 0, got " + s);
        }
    }

    /**
     * rois [K,5] of the features' dtype and device, every value finite and the batch index (column
     * 0) an integer in [0, n). The reference kernels truncate the index and never range-check it
     * (pytorch/vision#4828 segfaults); we refuse instead.
     */
    static double[] rois(String op, Tensor rois, DType dtype, long n) {
        if (rois.ndim() != 2 || rois.shape(1) != 5) {
            throw new IllegalArgumentException(op + ": rois must be [K,5] rows (batch index, x1, y1, x2, y2), got shape "
                    + Arrays.toString(rois.shape()));
        }
        if (rois.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": rois must have the features' dtype " + dtype + ", got " + rois.dtype());
        }
        if (rois.numel() == 0) return new double[0];
        double[] r;
        if (rois.device().type() == dev.nativeext.tensor.Device.Type.CPU) r = values(rois);
        else try (Tensor host = rois.to(dev.nativeext.tensor.Device.CPU)) {
            r = values(host);
        }
        for (int k = 0; k < r.length / 5; k++) {
            for (int j = 0; j < 5; j++) {
                if (!Double.isFinite(r[k * 5 + j])) {
                    throw new IllegalArgumentException(op + ": rois row " + k + " has a non-finite value " + r[k * 5 + j]
                            + " in column " + j + " " + Arrays.toString(Arrays.copyOfRange(r, k * 5, k * 5 + 5)));
                }
            }
            double b = r[k * 5];
            if (b != Math.rint(b) || b < 0 || b >= n) {
                throw new IllegalArgumentException(op + ": rois row " + k + " has batch index " + b
                        + ", expected an integer in [0, " + n + ")");
            }
        }
        return r;
    }

    private static double[] values(Tensor t) {
        if (t.dtype() == DType.FLOAT64) return t.toDoubleArray();
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static long numel(String op, long... dims) {
        long p = 1;
        try {
            for (long d : dims) p = Math.multiplyExact(p, d);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": the product of the sizes " + Arrays.toString(dims) + " overflows a long;"
                    + " the arguments imply a tensor larger than any memory");
        }
        return p;
    }
}
