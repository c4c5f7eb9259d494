package dev.nativeext.data;

import java.util.Iterator;

/**
 * Data without random access (a stream, a socket, a generator): PyTorch's
 * {@code IterableDataset}. Each call of {@link #iterator()} starts a new pass.
 * {@link DataLoader#stream} batches it; the order is the stream's.
 */
@FunctionalInterface
public interface IterableDataset<T> extends Iterable<T> {
    @Override
    Iterator<T> iterator();
}
