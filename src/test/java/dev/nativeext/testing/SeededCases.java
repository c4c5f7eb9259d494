package dev.nativeext.testing;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.opentest4j.TestAbortedException;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Generated test cases as JUnit dynamic tests, deterministic: case {@code i} of a property draws
 * its values from a {@link Gen} seeded with the {@code i}-th number of a {@link SplittableRandom}
 * seeded with the property's fixed seed. A failing case names its seed and its values; run it
 * alone with {@code -Dtest=Class#method -Dnativeext.case.seed=<seed>}. Unlike jqwik, cases are
 * not shrunk: keep generated values small, so that a failing case is readable as drawn.
 *
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicTest> additionIsCommutative() {
 *     return SeededCases.of(0x5EEDL, 200, g -> new Pair(g.anyInt(), g.anyInt()), p -> assertEquals(p.a() + p.b(), p.b() + p.a()));
 * }
 * }</pre>
 */
public final class SeededCases {

    /** The system property that runs a single case, by its seed (decimal or 0x-hex). */
    public static final String SEED_PROPERTY = "nativeext.case.seed";

    /**
     * The system property that draws other cases than the fixed seed's (a number mixed into every
     * property's seed): for exploring beyond the cases that every run tries, never for the build.
     */
    public static final String SALT_PROPERTY = "nativeext.cases.salt";

    private SeededCases() {
    }

    /**
     * {@code count} cases drawn by {@code generate} and checked by {@code check}. The case's
     * {@code toString} is its description in a failure.
     */
    public static <C> Stream<DynamicTest> of(long seed, int count, Function<Gen, C> generate, ThrowingConsumer<C> check) {
        String only = System.getProperty(SEED_PROPERTY);
        if (only != null && !only.isBlank()) {
            return Stream.of(test(-1, parse(only), generate, check));
        }
        long salt = parse(System.getProperty(SALT_PROPERTY, "0"));
        SplittableRandom seeds = new SplittableRandom(salt == 0 ? seed : seed ^ new SplittableRandom(salt).nextLong());
        long[] caseSeeds = seeds.longs(count).toArray();
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> test(i, caseSeeds[i], generate, check));
    }

    /** A seed as the failures print it (0x and 16 unsigned hex digits), or a decimal long. */
    private static long parse(String seed) {
        String s = seed.strip();
        return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
    }

    private static <C> DynamicTest test(int index, long caseSeed, Function<Gen, C> generate, ThrowingConsumer<C> check) {
        String seed = "0x" + Long.toHexString(caseSeed);
        String name = (index >= 0 ? "#" + index + " " : "") + "seed=" + seed;
        return DynamicTest.dynamicTest(name, () -> {
            C c = generate.apply(new Gen(caseSeed));
            try {
                check.accept(c);
            } catch (TestAbortedException e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError("case " + name + " failed (rerun it alone with -D" + SEED_PROPERTY + "=" + seed
                        + "): " + t + "\ncase: " + c, t);
            }
        });
    }
}
