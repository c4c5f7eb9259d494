package dev.nativeext.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /**
     * stop() right as the workers finish their tasks: a worker that had checked for stop() and
     * then cleared its interrupt flag after stop() had interrupted it blocked in the queue's take()
     * for good (a CI run saw "worker threads ... did not stop within 10000 ms" from
     * CocoDatasetTest). A stress test: the window is a few instructions wide, and 30,000 rounds
     * on an idle machine did not hit it with the old order, so it guards the common path, and
     * WorkerPool's comment says why the order matters.
     */
    @Test
    void stopEndsWorkersThatAreJustFinishingATask() throws Exception {
        for (int round = 0; round < 2000; round++) {
            WorkerPool pool = new WorkerPool(2, "worker-pool-test");
            CountDownLatch ran = new CountDownLatch(2);
            pool.submit(ran::countDown);
            pool.submit(ran::countDown);
            ran.await();
            assertTrue(pool.stop(2000), "round " + round + ": a worker did not stop");
        }
    }

    @Test
    void stopInterruptsARunningTaskAndEndsEveryWorker() throws Exception {
        WorkerPool pool = new WorkerPool(3, "worker-pool-test");
        CountDownLatch started = new CountDownLatch(1);
        pool.submit(() -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // stop() interrupts: the task ends
            }
        });
        started.await();
        assertTrue(pool.stop(5000));
        assertTrue(pool.threads().stream().noneMatch(Thread::isAlive));
    }
}
