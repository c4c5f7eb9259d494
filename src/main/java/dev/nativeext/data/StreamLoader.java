package dev.nativeext.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Batches an {@link IterableDataset} in stream order. With {@code prefetch > 0} one background
 * thread reads and collates up to {@code prefetch} batches ahead (a stream has one reader, so
 * more threads would not help its order); with 0 everything runs in {@code next()}. An error of
 * the stream fails {@code next()} with a {@link SampleException} naming the position in the
 * stream. {@link #close()} stops the reader and closes batches it built.
 */
public final class StreamLoader<T, B> implements Iterator<B>, AutoCloseable {

    private static final Object END = new Object();

    private final Iterator<T> source;
    private final int batchSize;
    private final boolean dropLast;
    private final Function<List<T>, B> collate;
    private final ArrayBlockingQueue<Object> queue;
    private final Thread reader;
    private int position;
    private Object next;
    private volatile boolean closed;

    public StreamLoader(IterableDataset<T> data, int batchSize, boolean dropLast, Function<List<T>, B> collate, int prefetch) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (prefetch < 0) throw new IllegalArgumentException("prefetch must be >= 0, got " + prefetch);
        this.source = Objects.requireNonNull(data, "data").iterator();
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.collate = Objects.requireNonNull(collate, "collate");
        if (prefetch == 0) {
            queue = null;
            reader = null;
        } else {
            queue = new ArrayBlockingQueue<>(prefetch);
            reader = new Thread(this::readAll, "nativeext-stream-reader");
            reader.setDaemon(true);
            reader.start();
        }
    }

    /** The next batch, or {@code END}, or a RuntimeException to rethrow. */
    private Object produce() {
        List<T> items = new ArrayList<>(batchSize);
        try {
            while (items.size() < batchSize && source.hasNext()) {
                items.add(source.next());
                position++;
            }
        } catch (RuntimeException | Error e) {
            items.forEach(DataLoader::closeQuietly);
            return new SampleException(position, "stream item " + position + " failed: " + e, e);
        }
        if (items.isEmpty() || (dropLast && items.size() < batchSize)) return END;
        try {
            return collate.apply(items);
        } catch (RuntimeException | Error e) {
            return new SampleException(-1, "collating stream items " + (position - items.size()) + ".." + (position - 1) + " failed: " + e, e);
        } finally {
            items.forEach(DataLoader::closeQuietly);
        }
    }

    private void readAll() {
        try {
            while (!closed) {
                Object o = produce();
                while (!queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                    if (closed) {
                        DataLoader.closeQuietly(o);
                        return;
                    }
                }
                if (o == END || o instanceof SampleException) return;
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** The reader thread, or {@code null} without prefetch (for tests). */
    Thread reader() {
        return reader;
    }

    @Override
    public boolean hasNext() {
        if (closed) return false;
        if (next == null) {
            try {
                next = queue == null ? produce() : queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataLoaderException("interrupted while waiting for the stream reader", e);
            }
        }
        if (next instanceof SampleException s) {
            close();
            throw new SampleException(s.index(), s.getMessage(), s.getCause());
        }
        return next != END;
    }

    @SuppressWarnings("unchecked")
    @Override
    public B next() {
        if (!hasNext()) throw new NoSuchElementException("the stream has ended");
        B b = (B) next;
        next = null;
        return b;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (reader != null) {
            reader.interrupt();
            try {
                reader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            queue.forEach(DataLoader::closeQuietly);
            queue.clear();
        }
        if (next != END) DataLoader.closeQuietly(next);
        next = END;
    }
}
