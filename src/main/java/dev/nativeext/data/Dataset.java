package dev.nativeext.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A map-style dataset: {@code size()} samples, each read by {@link #get(int)} for an index in
 * {@code [0, size())}. PyTorch's {@code __getitem__}/{@code __len__} contract, checked by the
 * compiler. {@code get} must be safe to call from several threads at once (a {@link DataLoader}
 * with workers does); a failing {@code get} is reported by the loader as a
 * {@link SampleException} naming the index.
 *
 * @param <T> the sample type
 */
public interface Dataset<T> {

    /** The sample at {@code index}, {@code 0 <= index < size()}. */
    T get(int index);

    int size();

    /** A dataset over an existing list (not copied: later changes to the list show through). */
    static <T> Dataset<T> of(List<T> items) {
        Objects.requireNonNull(items, "items");
        return new Dataset<>() {
            @Override
            public T get(int index) {
                return items.get(index);
            }

            @Override
            public int size() {
                return items.size();
            }
        };
    }

    /** {@code size} samples computed by {@code fn(index)} on each {@code get}. */
    static <T> Dataset<T> from(int size, IntFunction<T> fn) {
        if (size < 0) throw new IllegalArgumentException("size must be >= 0, got " + size);
        Objects.requireNonNull(fn, "fn");
        return new Dataset<>() {
            @Override
            public T get(int index) {
                Objects.checkIndex(index, size);
                return fn.apply(index);
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    /** This dataset with {@code fn} applied to each sample when it is read. */
    default <R> Dataset<R> map(Function<? super T, ? extends R> fn) {
        Objects.requireNonNull(fn, "fn");
        Dataset<T> self = this;
        return new Dataset<>() {
            @Override
            public R get(int index) {
                return fn.apply(self.get(index));
            }

            @Override
            public int size() {
                return self.size();
            }
        };
    }

    /** The samples at {@code indices} of this dataset, in that order (indices checked now). */
    default Dataset<T> subset(int... indices) {
        int n = size();
        int[] idx = indices.clone();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= n) {
                throw new IllegalArgumentException("indices[" + i + "] = " + idx[i] + " is outside [0, " + n + ")");
            }
        }
        Dataset<T> self = this;
        return new Dataset<>() {
            @Override
            public T get(int index) {
                return self.get(idx[Objects.checkIndex(index, idx.length)]);
            }

            @Override
            public int size() {
                return idx.length;
            }
        };
    }

    /**
     * Splits the dataset into parts of the given sizes after a seeded shuffle (PyTorch's
     * {@code random_split}); the sizes must add up to {@code size()}. Same seed, same parts.
     */
    default List<Dataset<T>> split(long seed, int... sizes) {
        int total = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 0) throw new IllegalArgumentException("sizes[" + i + "] must be >= 0, got " + sizes[i]);
            total += sizes[i];
        }
        if (total != size()) {
            throw new IllegalArgumentException("sizes " + Arrays.toString(sizes) + " add up to " + total + ", expected the dataset size " + size());
        }
        int[] perm = Sampler.permutation(size(), new SplittableRandom(seed));
        List<Dataset<T>> parts = new ArrayList<>();
        int at = 0;
        for (int s : sizes) {
            parts.add(subset(Arrays.copyOfRange(perm, at, at + s)));
            at += s;
        }
        return parts;
    }

    /** The samples of each dataset in turn. */
    @SafeVarargs
    static <T> Dataset<T> concat(Dataset<? extends T>... parts) {
        List<Dataset<? extends T>> list = List.of(parts);
        long[] starts = new long[parts.length + 1];
        for (int i = 0; i < parts.length; i++) starts[i + 1] = starts[i] + parts[i].size();
        if (starts[parts.length] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("concatenated size " + starts[parts.length] + " exceeds " + Integer.MAX_VALUE);
        }
        int size = (int) starts[parts.length];
        return new Dataset<>() {
            @Override
            public T get(int index) {
                Objects.checkIndex(index, size);
                int lo = 0;
                int hi = list.size() - 1;
                while (lo < hi) {                      // last part whose start <= index
                    int mid = (lo + hi + 1) >>> 1;
                    if (starts[mid] <= index) lo = mid;
                    else hi = mid - 1;
                }
                return list.get(lo).get((int) (index - starts[lo]));
            }

            @Override
            public int size() {
                return size;
            }
        };
    }
}
