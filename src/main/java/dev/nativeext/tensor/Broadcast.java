package dev.nativeext.tensor;

import java.util.Arrays;

/**
 * NumPy's broadcasting rule: shapes are aligned from the last axis, missing leading axes count
 * as 1, and an axis of length 1 stretches to the other's length; anything else is an error that
 * names both shapes and the axis.
 */
public final class Broadcast {

    private Broadcast() {
    }

    public static long[] shape(long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long x = i < n - a.length ? 1 : a[i - (n - a.length)];
            long y = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast: axis " + (i - n) + " (from the end) has " + x + " and " + y
                        + "; each pair must be equal or one of them 1");
            }
            out[i] = x == 1 ? y : x;
        }
        return out;
    }

    /**
     * The element strides that read a contiguous tensor of shape {@code in} as if it had shape
     * {@code out}: 0 along stretched and missing axes.
     */
    public static long[] strides(long[] in, long[] out) {
        long[] s = new long[out.length];
        long step = 1;
        for (int i = out.length - 1, j = in.length - 1; i >= 0; i--, j--) {
            if (j < 0 || in[j] == 1) {
                s[i] = 0;
            } else {
                s[i] = step;
            }
            if (j >= 0) step *= in[j];
        }
        return s;
    }
}
