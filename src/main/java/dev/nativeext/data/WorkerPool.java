package dev.nativeext.data;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The worker threads of one {@link DataLoader}: plain daemon threads that take tasks from one
 * queue. They live across epochs; {@link #stop} interrupts them, waits for them to end and
 * drops queued tasks. How many tasks may be queued is the loader's business (its prefetch
 * bound); the queue itself is unbounded so that submitting never blocks the consumer.
 */
final class WorkerPool {

    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Object idle = new Object();
    private int busy;
    private volatile boolean stopped;

    WorkerPool(int n, String name) {
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(this::loop, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    void submit(Runnable task) {
        queue.add(task);
    }

    List<Thread> threads() {
        return List.copyOf(threads);
    }

    /** Drops queued tasks and waits up to {@code timeoutMs} until no task is running. */
    boolean drain(long timeoutMs) throws InterruptedException {
        queue.clear();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (idle) {
            while (busy > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return true;
    }

    /** Interrupts every worker and waits up to {@code timeoutMs} for all to end; true if they did. */
    boolean stop(long timeoutMs) {
        stopped = true;
        queue.clear();
        threads.forEach(Thread::interrupt);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) break;
                try {
                    t.join(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return threads.stream().noneMatch(Thread::isAlive);
    }

    private void loop() {
        while (true) {
            Runnable task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            synchronized (idle) {
                busy++;
            }
            try {
                task.run();
            } finally {
                synchronized (idle) {
                    busy--;
                    idle.notifyAll();
                }
            }
            // A task's own interrupt must not leak into the next, so the flag is cleared; stop()'s
            // must not be lost with it: cleared first, then `stopped` read. stop() sets `stopped`
            // before it interrupts, so an interrupt cleared here comes with `stopped` already true,
            // and one that comes later makes take() throw. (Read first and cleared second, an
            // interrupt landing between the two was swallowed and the worker blocked in take() for
            // good: "did not stop within 10000 ms", seen once in CI from CocoDatasetTest.)
            Thread.interrupted();
            if (stopped) return;
        }
    }
}
