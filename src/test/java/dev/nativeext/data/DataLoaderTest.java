package dev.nativeext.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DataLoaderTest {

    /** A batch that counts how many of its kind are alive (built and not closed). */
    static final class Counted implements AutoCloseable {
        static final AtomicInteger ALIVE = new AtomicInteger();
        static final AtomicInteger PEAK = new AtomicInteger();
        static final List<Counted> CREATED = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Integer> items;
        private boolean closed;

        Counted(List<Integer> items) {
            this.items = List.copyOf(items);
            CREATED.add(this);
            PEAK.accumulateAndGet(ALIVE.incrementAndGet(), Math::max);
        }

        synchronized boolean isClosed() {
            return closed;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                ALIVE.decrementAndGet();
            }
        }
    }

    private static final Function<List<Integer>, List<Integer>> LIST = List::copyOf;

    /** A dataset whose get takes a little, varying time, so workers finish out of order. */
    private static Dataset<Integer> jittery(int n) {
        return Dataset.from(n, i -> {
            sleepMicros(((i * 7919) % 5) * 300L);
            return i;
        });
    }

    private static void sleepMicros(long us) {
        try {
            TimeUnit.MICROSECONDS.sleep(us);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    private static List<List<Integer>> epoch(DataLoader<Integer, List<Integer>> loader) {
        List<List<Integer>> out = new ArrayList<>();
        for (List<Integer> b : loader) out.add(b);
        return out;
    }

    @Test
    void sameSeedSameOrderWhateverTheWorkers() {
        List<List<List<Integer>>> runs = new ArrayList<>();
        for (int workers : new int[]{0, 1, 3}) {
            try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(jittery(37), LIST)
                    .batchSize(4).shuffle(99).numWorkers(workers).build()) {
                runs.add(List.of(epoch(l).stream().flatMap(List::stream).toList(), epoch(l).stream().flatMap(List::stream).toList()));
            }
        }
        assertEquals(runs.get(0), runs.get(1));
        assertEquals(runs.get(0), runs.get(2));
        assertEquals(37, runs.get(0).get(0).stream().distinct().count());
        assertFalse(runs.get(0).get(0).equals(runs.get(0).get(1)), "epochs 0 and 1 should differ");
    }

    @Test
    void batchesComeInSamplerOrderWithDropLast() {
        try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(jittery(10), LIST)
                .batchSize(3).dropLast(true).numWorkers(2).build()) {
            assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6, 7, 8)), epoch(l));
        }
        try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(jittery(10), LIST)
                .batchSampler(new GroupedBatchSampler(Sampler.sequential(10), new int[]{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, 2, false))
                .numWorkers(2).build()) {
            assertEquals(List.of(List.of(0, 2), List.of(1, 3), List.of(4, 6), List.of(5, 7), List.of(8), List.of(9)), epoch(l));
        }
    }

    @Test
    void workersAreReusedAcrossEpochsAndStoppedByClose() {
        DataLoader<Integer, List<Integer>> l = DataLoader.builder(jittery(8), LIST).batchSize(2).numWorkers(2).build();
        epoch(l);
        List<Thread> first = l.workers();
        assertEquals(2, first.size());
        epoch(l);
        assertEquals(first, l.workers());
        l.close();
        assertTrue(l.workers().isEmpty());
        for (Thread t : first) assertFalse(t.isAlive(), t.getName() + " still alive after close()");
        assertThrows(DataLoaderException.class, l::iterator);
    }

    @Test
    void failingSampleNamesTheIndexAndStopsTheWorkers() {
        Dataset<Integer> bad = Dataset.from(40, i -> {
            if (i == 17) throw new IllegalStateException("broken record");
            return i;
        });
        for (int workers : new int[]{0, 2}) {
            try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(bad, LIST).batchSize(4).numWorkers(workers).build()) {
                Iterator<List<Integer>> it = l.iterator();
                List<Thread> threads = l.workers();
                SampleException e = assertThrows(SampleException.class, () -> {
                    while (it.hasNext()) it.next();
                });
                assertEquals(17, e.index());
                assertTrue(e.getMessage().contains("sample 17") && e.getMessage().contains("broken record"), e.getMessage());
                assertInstanceOf(IllegalStateException.class, e.getCause());
                for (Thread t : threads) assertFalse(t.isAlive(), "worker " + t.getName() + " leaked");
                assertFalse(it.hasNext());
                // the loader stays usable: the next epoch fails at the same index again, with fresh workers
                SampleException again = assertThrows(SampleException.class, () -> epoch(l));
                assertEquals(17, again.index());
            }
        }
    }

    @Test
    void failingCollateNamesTheBatch() {
        try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(Dataset.from(6, i -> i), (List<Integer> s) -> {
            if (s.contains(4)) throw new ArithmeticException("bad batch");
            return s;
        }).batchSize(2).numWorkers(2).build()) {
            SampleException e = assertThrows(SampleException.class, () -> epoch(l));
            assertEquals(-1, e.index());
            assertTrue(e.getMessage().contains("batch 2") && e.getMessage().contains("[4, 5]"), e.getMessage());
        }
    }

    @Test
    void slowBatchTimesOutWithoutHanging() {
        CountDownLatch never = new CountDownLatch(1);
        Dataset<Integer> stuck = Dataset.from(8, i -> {
            if (i == 5) {
                try {
                    never.await();                  // released only by the interrupt of stop
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted");
                }
            }
            return i;
        });
        try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(stuck, LIST).batchSize(2).numWorkers(2)
                .timeout(Duration.ofMillis(300)).build()) {
            Iterator<List<Integer>> it = l.iterator();
            List<Thread> threads = l.workers();
            assertEquals(List.of(0, 1), it.next());
            assertEquals(List.of(2, 3), it.next());
            DataLoaderException e = assertThrows(DataLoaderException.class, it::next);
            assertTrue(e.getMessage().contains("batch 2") && e.getMessage().contains("300 ms"), e.getMessage());
            for (Thread t : threads) assertFalse(t.isAlive());
        }
    }

    @Test
    void backPressureBoundsBuiltBatchesAndCloseFreesThem() throws Exception {
        Counted.ALIVE.set(0);
        Counted.PEAK.set(0);
        Dataset<Integer> fast = Dataset.from(400, i -> i);
        try (DataLoader<Integer, Counted> l = DataLoader.builder(fast, Counted::new).batchSize(2).numWorkers(2).prefetch(3).build()) {
            DataLoader.EpochIterator<Counted> it = l.iterator();
            for (int k = 0; k < 20; k++) {
                try (Counted c = it.next()) {
                    assertEquals(List.of(2 * k, 2 * k + 1), c.items);
                    Thread.sleep(2);                 // a consumer much slower than the workers
                }
            }
            // prefetch 3 + the one the consumer holds
            assertTrue(Counted.PEAK.get() <= 4, "peak " + Counted.PEAK.get());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (Counted.ALIVE.get() == 0 && System.nanoTime() < until) Thread.sleep(5);
            assertTrue(Counted.ALIVE.get() > 0, "workers should have built ahead");
            assertTrue(Counted.ALIVE.get() <= 3, "built ahead beyond prefetch: " + Counted.ALIVE.get());
        }
        assertEquals(0, Counted.ALIVE.get(), "close() mid-epoch must close built batches");
    }

    @Test
    void abandoningAnEpochClosesItsBatches() throws Exception {
        try (DataLoader<Integer, Counted> l = DataLoader.builder(Dataset.from(100, i -> i), Counted::new).batchSize(5).numWorkers(2).build()) {
            DataLoader.EpochIterator<Counted> it = l.iterator();
            it.next().close();
            Thread.sleep(50);                        // the workers fill the prefetch queue, then wait
            List<Counted> builtInEpoch0;
            synchronized (Counted.CREATED) {
                builtInEpoch0 = new ArrayList<>(Counted.CREATED);
            }
            DataLoader.EpochIterator<Counted> next = l.iterator();     // abandons epoch 0
            assertEquals(1, next.epoch());
            assertTrue(builtInEpoch0.size() >= 2);
            for (Counted c : builtInEpoch0) assertTrue(c.isClosed(), "batch " + c.items + " of the abandoned epoch is still open");
            next.close();
        }
    }

    @Test
    void streamLoaderBatchesInOrderAndReportsThePosition() {
        IterableDataset<Integer> numbers = () -> java.util.stream.IntStream.range(0, 11).iterator();
        for (int prefetch : new int[]{0, 2}) {
            List<List<Integer>> got = new ArrayList<>();
            try (StreamLoader<Integer, List<Integer>> s = new StreamLoader<>(numbers, 4, false, LIST, prefetch)) {
                s.forEachRemaining(got::add);
            }
            assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7), List.of(8, 9, 10)), got);
        }
        IterableDataset<Integer> failing = () -> java.util.stream.IntStream.range(0, 11).map(i -> {
            if (i == 6) throw new IllegalStateException("socket closed");
            return i;
        }).iterator();
        try (StreamLoader<Integer, List<Integer>> s = new StreamLoader<>(failing, 4, false, LIST, 2)) {
            assertEquals(List.of(0, 1, 2, 3), s.next());
            SampleException e = assertThrows(SampleException.class, s::next);
            assertEquals(6, e.index());
            assertFalse(s.hasNext());
        }
    }

    @Test
    void closingAStreamMidwayStopsItsReader() throws Exception {
        IterableDataset<Integer> endless = () -> java.util.stream.IntStream.iterate(0, i -> i + 1).iterator();
        StreamLoader<Integer, List<Integer>> s = new StreamLoader<>(endless, 3, false, LIST, 2);
        assertEquals(List.of(0, 1, 2), s.next());
        Thread reader = s.reader();
        s.close();
        reader.join(10_000);
        assertFalse(reader.isAlive(), "the reader thread outlived close()");
        assertFalse(s.hasNext());
    }

    @Test
    void epochAwareDatasetSeesTheEpoch() {
        class Recording implements Dataset<Integer>, EpochAware {
            final ConcurrentHashMap<Integer, Integer> seen = new ConcurrentHashMap<>();
            volatile int epoch;

            @Override
            public void setEpoch(int epoch) {
                this.epoch = epoch;
            }

            @Override
            public Integer get(int index) {
                seen.put(index, epoch);
                return index;
            }

            @Override
            public int size() {
                return 4;
            }
        }
        Recording r = new Recording();
        try (DataLoader<Integer, List<Integer>> l = DataLoader.builder(r, LIST).numWorkers(1).build()) {
            epoch(l);
            epoch(l);
            assertSame(1, r.seen.get(3));
        }
    }
}
