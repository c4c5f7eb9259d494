package dev.nativeext.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The order in which a {@link DataLoader} reads a dataset in one epoch: a list of indices.
 * Samplers are pure functions of the epoch (and their seed), so the order never depends on
 * timing or on the number of workers.
 */
@FunctionalInterface
public interface Sampler {

    /** The indices of epoch {@code epoch} (0, 1, ...). */
    int[] indices(int epoch);

    /** {@code 0, 1, ..., size-1} every epoch. */
    static Sampler sequential(int size) {
        checkSize(size);
        return epoch -> identity(size);
    }

    /**
     * A permutation of {@code 0..size-1}, a different one each epoch, the same one for the same
     * (seed, epoch).
     */
    static Sampler random(int size, long seed) {
        checkSize(size);
        return epoch -> permutation(size, epochRandom(seed, epoch));
    }

    /**
     * {@code numSamples} indices drawn with probability proportional to {@code weights}
     * (PyTorch's {@code WeightedRandomSampler}): with replacement by inverse-CDF sampling,
     * without replacement by the Efraimidis-Spirakis keys {@code u^(1/w)} (the largest win).
     */
    static Sampler weighted(double[] weights, int numSamples, boolean replacement, long seed) {
        double[] w = weights.clone();
        double total = 0;
        int positive = 0;
        for (int i = 0; i < w.length; i++) {
            if (!(w[i] >= 0) || Double.isInfinite(w[i])) {
                throw new IllegalArgumentException("weights[" + i + "] must be finite and >= 0, got " + w[i]);
            }
            total += w[i];
            if (w[i] > 0) positive++;
        }
        if (total <= 0) throw new IllegalArgumentException("weights must have a positive sum, got " + total);
        if (numSamples < 0) throw new IllegalArgumentException("numSamples must be >= 0, got " + numSamples);
        if (!replacement && numSamples > positive) {
            throw new IllegalArgumentException("numSamples " + numSamples + " without replacement needs as many positive weights; there are " + positive);
        }
        double[] cdf = new double[w.length];
        double acc = 0;
        for (int i = 0; i < w.length; i++) {
            acc += w[i];
            cdf[i] = acc / total;
        }
        return epoch -> {
            SplittableRandom r = epochRandom(seed, epoch);
            int[] out = new int[numSamples];
            if (replacement) {
                for (int k = 0; k < numSamples; k++) {
                    double u = r.nextDouble();
                    int i = Arrays.binarySearch(cdf, u);
                    i = i >= 0 ? i + 1 : -i - 1;          // first cdf > u
                    while (i < w.length - 1 && w[i] == 0) i++;
                    out[k] = Math.min(i, w.length - 1);
                }
            } else {
                Integer[] order = new Integer[w.length];
                double[] key = new double[w.length];
                for (int i = 0; i < w.length; i++) {
                    order[i] = i;
                    key[i] = w[i] > 0 ? Math.log(r.nextDouble()) / w[i] : Double.NEGATIVE_INFINITY;
                }
                Arrays.sort(order, (a, b) -> Double.compare(key[b], key[a]));
                for (int k = 0; k < numSamples; k++) out[k] = order[k];
            }
            return out;
        };
    }

    /** A seeded Fisher-Yates permutation of {@code 0..size-1}. */
    static int[] permutation(int size, SplittableRandom random) {
        int[] p = identity(size);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The generator of one epoch: seeds differ per epoch, streams do not overlap. */
    static SplittableRandom epochRandom(long seed, int epoch) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)));
    }

    private static int[] identity(int size) {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) p[i] = i;
        return p;
    }

    private static void checkSize(int size) {
        if (size < 0) throw new IllegalArgumentException("size must be >= 0, got " + size);
    }
}
