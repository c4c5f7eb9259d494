package dev.nativeext.testing;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The values of one generated test case, drawn from a {@link SplittableRandom} with the case's
 * own seed, so that a case is reproduced from its seed alone. Ranges are inclusive, and their
 * bounds are drawn more often than a uniform draw would (one draw in five is a bound), since
 * that is where off-by-one and overflow defects live.
 */
public final class Gen {

    private final SplittableRandom random;

    public Gen(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** An int in [lo, hi], its bounds more often. */
    public int ints(int lo, int hi) {
        return (int) longs(lo, hi);
    }

    /** A long in [lo, hi], its bounds more often. */
    public long longs(long lo, long hi) {
        if (lo > hi) throw new IllegalArgumentException("range: expected lo <= hi, got [" + lo + ", " + hi + "]");
        int edge = random.nextInt(10);
        if (edge == 0) return lo;
        if (edge == 1) return hi;
        if (lo == hi) return lo;
        return hi == Long.MAX_VALUE ? random.nextLong(lo, hi) : random.nextLong(lo, hi + 1);
    }

    /** Any int, small ones and the extremes more often. */
    public int anyInt() {
        return switch (random.nextInt(4)) {
            case 0 -> ints(-4, 4);
            case 1 -> pickInt(Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE + 1, Integer.MAX_VALUE - 1);
            default -> random.nextInt();
        };
    }

    /** A double in [lo, hi), or one of its bounds. */
    public double doubles(double lo, double hi) {
        int edge = random.nextInt(10);
        if (edge == 0) return lo;
        if (edge == 1) return hi;
        return random.nextDouble(lo, hi);
    }

    public boolean bool() {
        return random.nextBoolean();
    }

    /** True with probability {@code p}. */
    public boolean chance(double p) {
        return random.nextDouble() < p;
    }

    /** An array length in [min, max], uniformly (empty arrays are not rarer than others). */
    public int size(int min, int max) {
        return random.nextInt(min, max + 1);
    }

    public int pickInt(int... values) {
        return values[random.nextInt(values.length)];
    }

    public long pickLong(long... values) {
        return values[random.nextInt(values.length)];
    }

    public double pickDouble(double... values) {
        return values[random.nextInt(values.length)];
    }

    @SafeVarargs
    public final <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }

    public <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** The value of one of the generators, each as likely. */
    @SafeVarargs
    public final <T> T oneOf(Supplier<? extends T>... generators) {
        return generators[random.nextInt(generators.length)].get();
    }

    /** The value of {@code a} with weight {@code wa} against {@code b} with weight {@code wb}. */
    public <T> T weighted(int wa, Supplier<? extends T> a, int wb, Supplier<? extends T> b) {
        return random.nextInt(wa + wb) < wa ? a.get() : b.get();
    }

    /** null with probability {@code p}, otherwise the generator's value. */
    public <T> T orNull(double p, Supplier<? extends T> generator) {
        return chance(p) ? null : generator.get();
    }

    /** An int array of a length in [minSize, maxSize], each element from {@code element}. */
    public int[] intArray(int minSize, int maxSize, Supplier<Integer> element) {
        int[] a = new int[size(minSize, maxSize)];
        for (int i = 0; i < a.length; i++) a[i] = element.get();
        return a;
    }

    /** A long array of a length in [minSize, maxSize], each element from {@code element}. */
    public long[] longArray(int minSize, int maxSize, Supplier<Long> element) {
        long[] a = new long[size(minSize, maxSize)];
        for (int i = 0; i < a.length; i++) a[i] = element.get();
        return a;
    }

    /** A double array of a length in [minSize, maxSize], each element from {@code element}. */
    public double[] doubleArray(int minSize, int maxSize, Supplier<Double> element) {
        double[] a = new double[size(minSize, maxSize)];
        for (int i = 0; i < a.length; i++) a[i] = element.get();
        return a;
    }
}
