import dev.nativeext.model.TorchvisionResNet;
import dev.nativeext.model.Weights;
import dev.nativeext.ops.CpuOptions;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/**
 * torchvision resnet50 at 224² in one JVM two ways, taking turns: the Java model's forward and
 * tools/profile/resnet50_chain.c's chain of the same conv2d calls built as a JNI library (one
 * native call per forward), ROUNDS rounds of 10 passes each, at THREADS threads. Prints each
 * one's minimum and the per-round difference of their minima (median, quartiles): what the JVM
 * and the Java model add to the kernels, free of the host's drift between separate runs. THREADS 0:
 * one thread and two take turns in each round (3 Java passes, 3 chain passes, at each), and it
 * prints both ways' minima per thread count and their two-thread speedups from the same rounds.
 * Run it with tools/profile/chain-vs-java.sh THREADS ROUNDS.
 */
public final class ChainVsJava {
    static native void build(int threads);

    static native double pass();

    static native void threads(int threads);

    /** Each round: 3 Java passes and 3 chain passes at one thread, then the same at two; the minima and their ratios. */
    static void alternate(TorchvisionResNet net, Tensor in, int rounds) {
        double[] j = {1e30, 1e30}, c = {1e30, 1e30};
        for (int r = -2; r < rounds; r++)
            for (int t = 0; t < 2; t++) {
                CpuOptions.setThreads(t + 1);
                threads(t + 1);
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    net.forward(in).close();
                    if (r >= 0) j[t] = Math.min(j[t], (System.nanoTime() - t0) / 1e6);
                }
                for (int i = 0; i < 3; i++) {
                    double p = pass();
                    if (r >= 0) c[t] = Math.min(c[t], p);
                }
            }
        System.out.printf("resnet50 224, 1 and 2 threads taking turns, %d rounds: Java forward min %.2f / %.2f ms (%.3fx), C chain in the"
                + " same JVM %.2f / %.2f ms (%.3fx)%n", rounds, j[0], j[1],
                j[0] / j[1], c[0], c[1], c[0] / c[1]);
    }

    public static void main(String[] args) throws Exception {
        System.load(System.getProperty("chain.lib"));
        int threads = Integer.parseInt(args[0]), rounds = Integer.parseInt(args[1]);
        build(threads);
        try (TorchvisionResNet net = TorchvisionResNet.resnet50()) {
            Weights.seed(1, net.parameters(), net::prepare);
            try (Tensor in = Tensor.uniform(2, -2, 2, 1, 3, 224, 224)) {
                if (threads == 0) {
                    alternate(net, in, rounds);
                    return;
                }
                CpuOptions.setThreads(threads);
                for (int i = 0; i < 5; i++) {
                    net.forward(in).close();
                    pass();
                }
                double javaMin = Double.MAX_VALUE, chainMin = Double.MAX_VALUE;
                double[] diff = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    double j = Double.MAX_VALUE, c = Double.MAX_VALUE;
                    for (int i = 0; i < 10; i++) {
                        long t0 = System.nanoTime();
                        net.forward(in).close();
                        j = Math.min(j, (System.nanoTime() - t0) / 1e6);
                    }
                    for (int i = 0; i < 10; i++) c = Math.min(c, pass());
                    javaMin = Math.min(javaMin, j);
                    chainMin = Math.min(chainMin, c);
                    diff[r] = j - c;
                }
                Arrays.sort(diff);
                System.out.printf("resnet50 224, %d thread(s), %d rounds of 10 passes each: Java forward min %.2f ms, C chain in the"
                        + " same JVM min %.2f ms; Java - chain per round: median %.2f ms (quartiles %.2f, %.2f)%n", threads, rounds,
                        javaMin, chainMin, diff[rounds / 2], diff[rounds / 4], diff[3 * rounds / 4]);
            }
        }
    }
}
