package dev.nativeext.bench;

import dev.nativeext.data.DataLoader;
import dev.nativeext.data.Dataset;
import dev.nativeext.data.image.BatchCollator;
import dev.nativeext.data.image.ByteImage;
import dev.nativeext.data.image.DetectionSample;
import dev.nativeext.data.image.DetectionTransform;
import dev.nativeext.data.image.ImageBatch;
import dev.nativeext.data.image.ImageDecoder;
import dev.nativeext.data.image.Normalize;
import dev.nativeext.data.image.Resize;
import dev.nativeext.data.image.Target;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * {@code bin/bench-data}: the data pipeline's figures, each next to its anchor measured in the
 * same run (the machine is shared: absolute times drift, ratios less so).
 * <ol>
 *   <li>memory: peak resident memory with a consumer 10x slower than the workers;</li>
 *   <li>decode + resize (640x480 -> 1066x800, maskrcnn-benchmark's get_size) + normalise of a
 *       JPEG on one thread, against OpenCV's imdecode + resize + convertTo + subtract + split;</li>
 *   <li>DataLoader with 0 workers against get + collate in a plain loop;</li>
 *   <li>2 workers against 0.</li>
 * </ol>
 */
public final class DataBench {

    private static final int W = 640;
    private static final int H = 480;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        opencv_core.setNumThreads(1);
        List<byte[]> jpegs = new ArrayList<>();
        for (int i = 0; i < 8; i++) jpegs.add(jpeg(photoLike(W, H, i)));
        System.out.printf("[%s] inputs: %d synthetic %dx%d JPEGs (quality 0.9), %.0f KB on average; %d cores; JDK %s; load average %s%n",
                mode, jpegs.size(), W, H, jpegs.stream().mapToInt(b -> b.length).average().orElse(0) / 1024,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage());
        int[] hw = Resize.getSize(W, H, 800, 1333);
        if (mode.equals("all") || mode.equals("memory")) memory(jpegs);
        if (mode.equals("all") || mode.contains("pipeline")) {
            System.out.printf("%nresize target: %dx%d (get_size(640x480, 800, 1333): maskrcnn-benchmark truncates 1066.7 to 1066)%n", hw[1], hw[0]);
            pipeline(jpegs, hw, rounds);
        }
        if (mode.equals("all") || mode.contains("loader")) loader(jpegs, rounds);
        System.out.printf("%n[%s] load average at the end: %s (2 cores, shared with other jobs)%n", mode, loadAverage());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static double processCpuMs() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e6;
    }

    // ---- 1. memory -------------------------------------------------------------------------

    private static void memory(List<byte[]> jpegs) throws Exception {
        int batch = 2;
        int prefetch = 4;
        Dataset<DetectionSample> ds = dataset(jpegs, 64);
        try (ImageBatch warm = new BatchCollator(32).apply(List.of(ds.get(0), ds.get(1)))) {
            // warm up the JIT and measure one batch's bytes
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 4; i++) ds.get(i);
        double perBatchMs = (System.nanoTime() - t0) / 1e6 / 2;
        long batchBytes = 2L * 3 * 800 * 1088 * 4;
        System.gc();
        Thread.sleep(200);
        double baseRss = rssMb();
        AtomicLong peakRss = new AtomicLong(Double.doubleToLongBits(baseRss));
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger peakAlive = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                double r = rssMb();
                if (r > Double.longBitsToDouble(peakRss.get())) peakRss.set(Double.doubleToLongBits(r));
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        BatchCollator collate = new BatchCollator(32);
        int batches = 0;
        long slowMs = Math.round(10 * perBatchMs);
        try (DataLoader<DetectionSample, ImageBatch> l = DataLoader.builder(ds, (List<DetectionSample> s) -> {
            ImageBatch b = collate.apply(s);
            peakAlive.accumulateAndGet(alive.incrementAndGet(), Math::max);
            return b;
        }).batchSize(batch).numWorkers(2).prefetch(prefetch).build()) {
            var it = l.iterator();
            for (int k = 0; k < 12 && it.hasNext(); k++) {
                try (ImageBatch b = it.next()) {
                    Thread.sleep(slowMs);             // the consumer: 10x the time one worker needs per batch
                    batches++;
                }
                alive.decrementAndGet();
            }
        }
        sampler.interrupt();
        sampler.join();
        double peak = Double.longBitsToDouble(peakRss.get());
        double bound = (prefetch + 1) * batchBytes / 1048576.0;
        long heapMax = Runtime.getRuntime().maxMemory() >> 20;
        System.out.printf("%nmemory, 2 workers, batch %d, prefetch %d, consumer sleeps %d ms per batch (10x %.0f ms), %d batches:%n",
                batch, prefetch, slowMs, perBatchMs, batches);
        System.out.printf("  batches alive at most: %d (bound: prefetch + the one consumed = %d)%n", peakAlive.get(), prefetch + 1);
        System.out.printf("  resident memory: %.0f MiB before, peak %.0f MiB: +%.0f MiB; bound: (prefetch + 1) x %.1f MiB batch = %.0f MiB"
                + " of native tensors + the fixed budget of the Java heap (-Xmx %d MiB, where per-sample images live) = %.0f MiB%n",
                baseRss, peak, peak - baseRss, batchBytes / 1048576.0, bound, heapMax, bound + heapMax);
    }

    // ---- 2. pipeline vs OpenCV -------------------------------------------------------------

    private static void pipeline(List<byte[]> jpegs, int[] hw, int rounds) {
        Normalize norm = Normalize.maskRcnn();
        int n = jpegs.size();
        float[] sink = new float[1];
        Runnable ours = () -> {
            for (byte[] j : jpegs) {
                ByteImage img = ImageDecoder.decode(j, Path.of("bench.jpg"));
                sink[0] += DetectionTransform.resizeNormalize(img, hw[1], hw[0], norm, false).data()[7];
            }
        };
        Runnable oursDecode = () -> {
            for (byte[] j : jpegs) sink[0] += ImageDecoder.decode(j, Path.of("bench.jpg")).bgr()[5];
        };
        List<Mat> encoded = new ArrayList<>();
        for (byte[] j : jpegs) encoded.add(new Mat(1, j.length, opencv_core.CV_8UC1, new BytePointer(j)));
        Scalar mean = new Scalar(Normalize.PIXEL_MEAN[0], Normalize.PIXEL_MEAN[1], Normalize.PIXEL_MEAN[2], 0);
        Size size = new Size(hw[1], hw[0]);
        Runnable cv = () -> {
            for (Mat e : encoded) {
                try (Mat img = imdecode(e, IMREAD_COLOR); Mat r = new Mat(); Mat f = new Mat(); MatVector planes = new MatVector()) {
                    resize(img, r, size, 0, 0, INTER_LINEAR);
                    r.convertTo(f, opencv_core.CV_32F);
                    try (Mat m = opencv_core.subtract(f, mean).asMat()) {   // std is 1: no division
                        opencv_core.split(m, planes);                       // CHW planes, as ours
                        sink[0] += planes.get(0).ptr(0, 0).get();
                    }
                }
            }
        };
        Runnable cvDecode = () -> {
            for (Mat e : encoded) {
                try (Mat img = imdecode(e, IMREAD_COLOR)) {
                    sink[0] += img.ptr(0, 0).get();
                }
            }
        };
        double[][] r = interleaved(rounds, ours, cv, oursDecode, cvDecode);
        System.out.printf("%ndecode + resize to %dx%d + normalise, one thread, per 640x480 JPEG (min / median of %d rounds of %d images, interleaved):%n",
                hw[1], hw[0], rounds, n);
        System.out.printf("  nativeext (ImageIO + Pillow-exact bilinear + normalise, native kernel: " + DetectionTransform.NATIVE + "): wall %.2f / %.2f ms, thread CPU %.2f / %.2f ms%n",
                r[0][0] / n, r[0][1] / n, r[0][2] / n, r[0][3] / n);
        System.out.printf("  OpenCV 4.13 (imdecode + resize + convertTo + subtract + split): wall %.2f / %.2f ms, thread CPU %.2f / %.2f ms%n",
                r[1][0] / n, r[1][1] / n, r[1][2] / n, r[1][3] / n);
        System.out.printf("  ratio nativeext / OpenCV: CPU %.2fx (min), %.2fx (median); wall %.2fx (min), %.2fx (median)   [goal <= 1.2x]%n",
                r[0][2] / r[1][2], r[0][3] / r[1][3], r[0][0] / r[1][0], r[0][1] / r[1][1]);
        System.out.printf("  of which decode alone (CPU min): ImageIO %.2f ms, OpenCV imdecode %.2f ms (%.2fx); resize + normalise: %.2f ms vs %.2f ms (%.2fx)%n",
                r[2][2] / n, r[3][2] / n, r[2][2] / r[3][2], (r[0][2] - r[2][2]) / n, (r[1][2] - r[3][2]) / n,
                (r[0][2] - r[2][2]) / (r[1][2] - r[3][2]));
        if (sink[0] == 12345.678f) System.out.println();
    }

    // ---- 3. and 4. loader ------------------------------------------------------------------

    private static void loader(List<byte[]> jpegs, int rounds) {
        int images = 32;
        Dataset<DetectionSample> ds = dataset(jpegs, images);
        BatchCollator collate = new BatchCollator(32);
        Runnable plain = () -> {
            for (int at = 0; at < images; at += 2) {
                List<DetectionSample> s = List.of(ds.get(at), ds.get(at + 1));
                collate.apply(s).close();
                s.forEach(DetectionSample::close);          // what the loader does after collating
            }
        };
        DataLoader<DetectionSample, ImageBatch> zero = DataLoader.builder(ds, collate).batchSize(2).numWorkers(0).build();
        DataLoader<DetectionSample, ImageBatch> two = DataLoader.builder(ds, collate).batchSize(2).numWorkers(2).build();
        Runnable z = () -> {
            for (ImageBatch b : zero) b.close();
        };
        Runnable t = () -> {
            for (ImageBatch b : two) b.close();
        };
        double[][] r = interleaved(rounds, plain, z, t);
        double[] spin = spinScaling();
        double c0 = processCpuMs();
        z.run();
        double c1 = processCpuMs();
        t.run();
        double c2 = processCpuMs();
        zero.close();
        two.close();
        System.out.printf("%nloader, %d JPEGs per epoch (decode + resize + normalise + collate, batch 2, SIZE_DIVISIBILITY 32), min / median of %d rounds:%n",
                images, rounds);
        System.out.printf("  plain loop (get + collate): wall %.1f / %.1f ms = %.1f images/s; thread CPU %.1f / %.1f ms%n",
                r[0][0], r[0][1], images / r[0][0] * 1000, r[0][2], r[0][3]);
        System.out.printf("  DataLoader, 0 workers:      wall %.1f / %.1f ms; thread CPU %.1f / %.1f ms; overhead CPU %+.1f%% (min), %+.1f%% (median),"
                + " wall %+.1f%% (min)   [goal <= 3%%]%n", r[1][0], r[1][1], r[1][2], r[1][3],
                100 * (r[1][2] / r[0][2] - 1), 100 * (r[1][3] / r[0][3] - 1), 100 * (r[1][0] / r[0][0] - 1));
        System.out.printf("  DataLoader, 2 workers:      wall %.1f / %.1f ms  speed-up over 0 workers %.2fx (min), %.2fx (median)   [goal >= 1.8x on 2 cores]%n",
                r[2][0], r[2][1], r[1][0] / r[2][0], r[1][1] / r[2][1]);
        System.out.printf("  anchor: a pure CPU loop on 1 vs 2 threads in the same run: %.0f vs %.0f ms = %.2fx (2.0x when two cores are free;"
                + " less means other jobs held a core)%n", spin[0], spin[1], spin[0] / spin[1]);
        System.out.printf("  process CPU time per image: 0 workers %.1f ms, 2 workers %.1f ms (%.2fx): the work the workers add; with two idle"
                + " cores the speed-up is bounded by 2 x this ratio = %.2fx%n", (c1 - c0) / images, (c2 - c1) / images,
                (c2 - c1) / (c1 - c0), 2 * (c1 - c0) / (c2 - c1));
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static volatile double spinSink;

    /** {1 thread, 2 threads} ms for the same total of pure arithmetic: how many cores the machine gives now. */
    private static double[] spinScaling() {
        Runnable spin = () -> {
            double x = 0;
            for (int i = 0; i < 40_000_000; i++) x += Math.sqrt(i);
            spinSink = x;
        };
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int k = 0; k < 3; k++) {
            long t0 = System.nanoTime();
            spin.run();
            spin.run();
            best[0] = Math.min(best[0], (System.nanoTime() - t0) / 1e6);
            Thread a = new Thread(spin);
            Thread b = new Thread(spin);
            t0 = System.nanoTime();
            a.start();
            b.start();
            try {
                a.join();
                b.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            best[1] = Math.min(best[1], (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    /**
     * {wall min, wall median, CPU min, CPU median} ms of each runnable over {@code rounds} rounds,
     * the runnables alternating within a round. CPU is the calling thread's CPU time: on a shared
     * machine it is what a single-threaded step costs, whatever else runs.
     */
    private static double[][] interleaved(int rounds, Runnable... rs) {
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (Runnable r : rs) r.run();            // warm-up
        for (Runnable r : rs) r.run();
        double[][] ms = new double[rs.length][rounds];
        double[][] cpu = new double[rs.length][rounds];
        for (int k = 0; k < rounds; k++) {
            for (int i = 0; i < rs.length; i++) {
                long c0 = tmx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                rs[i].run();
                ms[i][k] = (System.nanoTime() - t0) / 1e6;
                cpu[i][k] = (tmx.getCurrentThreadCpuTime() - c0) / 1e6;
            }
        }
        double[][] out = new double[rs.length][];
        for (int i = 0; i < rs.length; i++) {
            Arrays.sort(ms[i]);
            Arrays.sort(cpu[i]);
            out[i] = new double[]{ms[i][0], ms[i][rounds / 2], cpu[i][0], cpu[i][rounds / 2]};
        }
        return out;
    }

    private static Dataset<DetectionSample> dataset(List<byte[]> jpegs, int size) {
        DetectionTransform tr = DetectionTransform.maskRcnnTest();
        return Dataset.from(size, i -> {
            ByteImage img = ImageDecoder.decode(jpegs.get(i % jpegs.size()), Path.of("img" + i + ".jpg"));
            return tr.apply(img, Target.empty(img.width(), img.height()), i, 0);
        });
    }

    /** Smooth shading, a few discs and mild noise: compresses like a photograph, not like noise. */
    static BufferedImage photoLike(int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] px = ((DataBufferByte) b.getRaster().getDataBuffer()).getData();
        int[][] discs = new int[6][];
        for (int d = 0; d < discs.length; d++) {
            discs[d] = new int[]{r.nextInt(w), r.nextInt(h), 20 + r.nextInt(90), r.nextInt(256), r.nextInt(256), r.nextInt(256)};
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int bl = 60 + x * 120 / w;
                int gr = 40 + y * 150 / h;
                int rd = 90 + (int) (60 * Math.sin((x + y) / 40.0));
                for (int[] d : discs) {
                    int dx = x - d[0];
                    int dy = y - d[1];
                    if (dx * dx + dy * dy < d[2] * d[2]) {
                        bl = d[3];
                        gr = d[4];
                        rd = d[5];
                    }
                }
                int o = (y * w + x) * 3;
                int n = r.nextInt(9) - 4;
                px[o] = (byte) Math.max(0, Math.min(255, bl + n));
                px[o + 1] = (byte) Math.max(0, Math.min(255, gr + n));
                px[o + 2] = (byte) Math.max(0, Math.min(255, rd + n));
            }
        }
        return b;
    }

    static byte[] jpeg(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.9f);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) / 1024.0;
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
