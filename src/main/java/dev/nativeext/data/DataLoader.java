package dev.nativeext.data;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Reads a {@link Dataset} in batches: a sampler decides the order, {@code numWorkers} threads read
 * and collate batches ahead of the consumer, and batches come out in sampler order.
 *
 * <pre>{@code
 * try (DataLoader<Sample, Batch> loader = DataLoader.builder(dataset, collator)
 *         .batchSize(2).shuffle(42).numWorkers(2).build()) {
 *     for (int epoch = 0; epoch < 3; epoch++) {
 *         for (Batch b : loader) { ... }          // each for-loop is one epoch
 *     }
 * }
 * }</pre>
 *
 * <ul>
 *   <li><b>Order</b>: a pure function of the sampler's seed and the epoch, the same for any
 *       number of workers.</li>
 *   <li><b>Back-pressure</b>: at most {@code prefetch} batches are queued, being built or built
 *       and waiting; a worker does not start batch {@code k + prefetch} before the consumer took
 *       batch {@code k}. Memory is therefore bounded by {@code (prefetch + 1)} batches (the one
 *       the consumer holds) plus what each worker holds while building one.</li>
 *   <li><b>Failures</b>: a failing {@code get} or collate fails {@code next()} with a
 *       {@link SampleException} naming the index and the cause, after the workers were stopped
 *       and batches already built were closed; a batch that takes longer than the timeout fails
 *       with a {@link DataLoaderException}, likewise. The next epoch starts fresh workers.</li>
 *   <li><b>Closing</b>: batches that are {@link AutoCloseable} (tensors) and were built but not
 *       delivered are closed when an epoch is abandoned (a new epoch starts, the iterator or the
 *       loader is closed). {@link #close()} stops the workers; they are otherwise kept across
 *       epochs.</li>
 * </ul>
 *
 * @param <T> the sample type
 * @param <B> the batch type (the collate function's result)
 */
public final class DataLoader<T, B> implements Iterable<B>, AutoCloseable {

    private static final long STOP_WAIT_MS = 10_000;
    private static final AtomicLong LOADERS = new AtomicLong();

    private final Dataset<T> dataset;
    private final Function<List<T>, B> collate;
    private final BatchSampler batchSampler;
    private final int numWorkers;
    private final int prefetch;
    private final long timeoutNanos;
    private final String name = "nativeext-data-" + LOADERS.incrementAndGet();

    private WorkerPool pool;
    private Epoch active;
    private int nextEpoch;
    private boolean closed;

    private DataLoader(Builder<T, B> b) {
        this.dataset = b.dataset;
        this.collate = b.collate;
        this.numWorkers = b.numWorkers;
        this.prefetch = b.prefetch > 0 ? b.prefetch : Math.max(2, 2 * b.numWorkers);
        this.timeoutNanos = b.timeout == null ? 0 : b.timeout.toNanos();
        if (b.batchSampler != null) {
            this.batchSampler = b.batchSampler;
        } else {
            Sampler s = b.sampler != null ? b.sampler
                    : b.shuffle ? Sampler.random(dataset.size(), b.seed) : Sampler.sequential(dataset.size());
            this.batchSampler = BatchSampler.of(s, b.batchSize, b.dropLast);
        }
    }

    /** A builder for a loader of {@code dataset} whose batches are {@code collate(samples)}. */
    public static <T, B> Builder<T, B> builder(Dataset<T> dataset, Function<List<T>, B> collate) {
        return new Builder<>(dataset, collate);
    }

    /** The next epoch (0, 1, ...); an unfinished previous epoch is abandoned first. */
    @Override
    public synchronized EpochIterator<B> iterator() {
        return epoch(nextEpoch);
    }

    /** Epoch {@code epoch} explicitly (e.g. to resume); following {@link #iterator()} calls continue after it. */
    public synchronized EpochIterator<B> epoch(int epoch) {
        if (closed) throw new DataLoaderException("the data loader is closed");
        if (active != null) active.abandon();
        nextEpoch = epoch + 1;
        if (dataset instanceof EpochAware ea) ea.setEpoch(epoch);
        if (numWorkers > 0 && pool == null) pool = new WorkerPool(numWorkers, name);
        active = new Epoch(epoch, batchSampler.batches(epoch));
        return active;
    }

    /** The batches of {@code epoch} as the sampler gives them (for inspection and tests). */
    public List<int[]> batchIndices(int epoch) {
        return batchSampler.batches(epoch);
    }

    /** The worker threads now alive (empty with 0 workers or after {@link #close()}). */
    public synchronized List<Thread> workers() {
        return pool == null ? List.of() : pool.threads();
    }

    /** Abandons the current epoch (closing built batches) and stops the workers. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (active != null) active.abandon();
        active = null;
        stopWorkers();
    }

    private synchronized void stopWorkers() {
        if (pool != null) {
            boolean ended = pool.stop(STOP_WAIT_MS);
            pool = null;
            if (!ended) {
                throw new DataLoaderException("worker threads of " + name + " did not stop within " + STOP_WAIT_MS
                        + " ms (a dataset get() that ignores interrupts?)");
            }
        }
    }

    private B load(int batch, int[] indices) {
        List<T> samples = new ArrayList<>(indices.length);
        for (int i : indices) {
            try {
                samples.add(Objects.requireNonNull(dataset.get(i), "the dataset returned null"));
            } catch (RuntimeException | Error e) {
                closeAll(samples);
                throw new SampleException(i, "sample " + i + " (batch " + batch + ") failed: " + e, e);
            }
        }
        try {
            return collate.apply(samples);
        } catch (RuntimeException | Error e) {
            throw new SampleException(-1, "collating batch " + batch + " (indices " + Arrays.toString(indices) + ") failed: " + e, e);
        } finally {
            closeAll(samples);
        }
    }

    private static void closeAll(List<?> items) {
        for (Object o : items) closeQuietly(o);
    }

    static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // freeing memory; nothing useful to report
            }
        }
    }

    /** One epoch's batches, in sampler order. {@code close()} abandons the rest of the epoch. */
    public interface EpochIterator<B> extends Iterator<B>, AutoCloseable {
        /** The epoch number. */
        int epoch();

        /** The number of batches in this epoch. */
        int batches();

        @Override
        void close();
    }

    private final class Epoch implements EpochIterator<B> {
        private final int epoch;
        private final List<int[]> batches;
        private final ArrayDeque<CompletableFuture<B>> inFlight = new ArrayDeque<>();
        private int submitted;
        private int delivered;
        private volatile boolean abandoned;

        Epoch(int epoch, List<int[]> batches) {
            this.epoch = epoch;
            this.batches = batches;
            if (numWorkers > 0) fill();
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public int batches() {
            return batches.size();
        }

        private void fill() {
            while (submitted < batches.size() && inFlight.size() < prefetch) {
                int k = submitted++;
                int[] idx = batches.get(k);
                CompletableFuture<B> f = new CompletableFuture<>();
                inFlight.add(f);
                pool.submit(() -> {
                    if (abandoned || f.isDone()) {
                        f.cancel(false);
                        return;
                    }
                    try {
                        B b = load(k, idx);
                        // Nobody will take it (abandoned or cancelled): free it now.
                        if (abandoned || !f.complete(b)) closeQuietly(b);
                    } catch (Throwable t) {
                        f.completeExceptionally(t);
                    }
                });
            }
        }

        @Override
        public boolean hasNext() {
            return !abandoned && delivered < batches.size();
        }

        @Override
        public B next() {
            if (abandoned) throw new NoSuchElementException("epoch " + epoch + " was closed or abandoned");
            if (delivered >= batches.size()) throw new NoSuchElementException("epoch " + epoch + " has " + batches.size() + " batches");
            int k = delivered;
            if (numWorkers == 0) {
                long t0 = System.nanoTime();
                try {
                    B b = load(k, batches.get(k));
                    delivered++;
                    checkInlineTimeout(b, k, t0);
                    return b;
                } catch (RuntimeException | Error e) {
                    abandoned = true;
                    throw e;
                }
            }
            CompletableFuture<B> f = inFlight.poll();
            B b;
            try {
                b = timeoutNanos > 0 ? f.get(timeoutNanos, TimeUnit.NANOSECONDS) : f.get();
            } catch (TimeoutException e) {
                fail();
                throw new DataLoaderException("batch " + k + " of epoch " + epoch + " (indices " + Arrays.toString(batches.get(k))
                        + ") was not ready within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; the workers were stopped");
            } catch (ExecutionException e) {
                fail();
                Throwable c = e.getCause();
                if (c instanceof SampleException s) throw new SampleException(s.index(), s.getMessage(), s.getCause());
                throw new DataLoaderException("batch " + k + " of epoch " + epoch + " failed: " + c, c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail();
                throw new DataLoaderException("interrupted while waiting for batch " + k + " of epoch " + epoch, e);
            } catch (CancellationException e) {
                throw new NoSuchElementException("epoch " + epoch + " was closed or abandoned");
            }
            delivered++;
            fill();
            return b;
        }

        private void checkInlineTimeout(B b, int k, long t0) {
            if (timeoutNanos > 0 && System.nanoTime() - t0 > timeoutNanos) {
                closeQuietly(b);
                abandoned = true;
                throw new DataLoaderException("batch " + k + " of epoch " + epoch + " took longer than "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (0 workers: it ran on the calling thread)");
            }
        }

        /** A batch failed: stop the workers first, then free what was built. */
        private void fail() {
            abandoned = true;
            synchronized (DataLoader.this) {
                stopWorkers();
            }
            releaseBuilt();
        }

        /** Drops the rest of the epoch; waits until no worker still builds one of its batches. */
        void abandon() {
            if (abandoned && inFlight.isEmpty()) return;
            abandoned = true;
            if (pool != null) {
                try {
                    if (!pool.drain(STOP_WAIT_MS)) stopWorkers();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopWorkers();
                }
            }
            releaseBuilt();
        }

        private void releaseBuilt() {
            for (CompletableFuture<B> f : inFlight) {
                if (!f.cancel(false) && !f.isCompletedExceptionally()) closeQuietly(f.getNow(null));
            }
            inFlight.clear();
        }

        @Override
        public void close() {
            synchronized (DataLoader.this) {
                abandon();
                if (active == this) active = null;
            }
        }
    }

    /** Options of a {@link DataLoader}; every setter validates its argument. */
    public static final class Builder<T, B> {
        private final Dataset<T> dataset;
        private final Function<List<T>, B> collate;
        private int batchSize = 1;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private Sampler sampler;
        private BatchSampler batchSampler;
        private int numWorkers;
        private int prefetch;
        private Duration timeout;

        private Builder(Dataset<T> dataset, Function<List<T>, B> collate) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            this.collate = Objects.requireNonNull(collate, "collate");
        }

        public Builder<T, B> batchSize(int batchSize) {
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /** A random order per epoch from {@code seed} (same seed, same orders). */
        public Builder<T, B> shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        public Builder<T, B> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** The sample order; batched with {@code batchSize} and {@code dropLast}. Replaces {@code shuffle}. */
        public Builder<T, B> sampler(Sampler sampler) {
            this.sampler = Objects.requireNonNull(sampler, "sampler");
            return this;
        }

        /** Whole batches (e.g. {@link GroupedBatchSampler}); replaces sampler, shuffle, batchSize and dropLast. */
        public Builder<T, B> batchSampler(BatchSampler batchSampler) {
            this.batchSampler = Objects.requireNonNull(batchSampler, "batchSampler");
            return this;
        }

        /** 0: batches are built on the calling thread in {@code next()}. */
        public Builder<T, B> numWorkers(int numWorkers) {
            if (numWorkers < 0) throw new IllegalArgumentException("numWorkers must be >= 0, got " + numWorkers);
            this.numWorkers = numWorkers;
            return this;
        }

        /** Batches queued, in work or waiting at most (default {@code max(2, 2 × numWorkers)}). */
        public Builder<T, B> prefetch(int prefetch) {
            if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1, got " + prefetch);
            this.prefetch = prefetch;
            return this;
        }

        /** The longest the consumer waits for one batch; {@code null} or zero: no limit. */
        public Builder<T, B> timeout(Duration timeout) {
            if (timeout != null && timeout.isNegative()) throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
            this.timeout = timeout == null || timeout.isZero() ? null : timeout;
            return this;
        }

        public DataLoader<T, B> build() {
            if (dataset.size() < 0) throw new IllegalArgumentException("dataset.size() must be >= 0, got " + dataset.size());
            return new DataLoader<>(this);
        }
    }
}
