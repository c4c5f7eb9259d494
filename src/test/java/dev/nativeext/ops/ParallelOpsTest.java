package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Ops called from several Java threads at once, each op asking for several native threads: one
 * caller at a time owns an op library's thread pool (src/main/cpp/ne_parallel.h), the others
 * start threads for their call; every result must equal the one-thread result bit for bit. The
 * chain covers conv2d's paths (direct 3x3, pointwise 1x1, the GEMM path of a small plane with its
 * output channels split into items, the strided 1x1), max-pool, ReLU and add.
 */
class ParallelOpsTest {

    private static final int CALLERS = 4;
    private static final int ROUNDS = 12;

    private static float[] chain(Tensor x, Tensor w3, Tensor w1, Tensor wSmall, Tensor wDown) {
        try (Tensor a = Conv2d.forward(x, w3, null, Conv2d.Params.of(1, 1, 1, 1), Conv2d.Epilogue.none().relu());
             Tensor b = Conv2d.forward(a, w1, null, Conv2d.Params.of(1, 0, 1, 1), Conv2d.Epilogue.none().residual(a));
             Tensor c = MaxPool2d.forward(b, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false);
             Tensor d = Conv2d.forward(c, wSmall, null, Conv2d.Params.of(1, 1, 1, 1), Conv2d.Epilogue.none());
             Tensor e = Conv2d.forward(b, wDown, null, Conv2d.Params.of(2, 0, 1, 1), Conv2d.Epilogue.none());
             Tensor f = d.add(e)) {
            return f.toFloatArray();
        }
    }

    @Test
    void concurrentCallersGetTheBitsOfOneThread() throws Exception {
        int saved = CpuOptions.threads();
        try (Tensor x = Tensor.uniform(1, -1, 1, 1, 16, 23, 29);
             Tensor w3 = Tensor.uniform(2, -0.2f, 0.2f, 32, 16, 3, 3);
             Tensor w1 = Tensor.uniform(3, -0.2f, 0.2f, 32, 32, 1, 1);
             Tensor wSmall = Tensor.uniform(4, -0.1f, 0.1f, 256, 32, 3, 3);
             Tensor wDown = Tensor.uniform(5, -0.1f, 0.1f, 256, 32, 1, 1)) {
            CpuOptions.setThreads(1);
            float[] want = chain(x, w3, w1, wSmall, wDown);
            CpuOptions.setThreads(3);
            ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CALLERS; c++) {
                    final int id = c;
                    done.add(callers.submit(() -> {
                        for (int r = 0; r < ROUNDS; r++) assertArrayEquals(want, chain(x, w3, w1, wSmall, wDown), "caller " + id + " round " + r);
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
            } finally {
                callers.shutdown();
            }
            // and one caller alone, the pool's workers already started
            for (int t = 2; t <= 5; t++) {
                CpuOptions.setThreads(t);
                assertArrayEquals(want, chain(x, w3, w1, wSmall, wDown), "threads " + t);
            }
        } finally {
            CpuOptions.setThreads(saved);
        }
    }
}
