package dev.nativeext.data.image;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * maskrcnn-benchmark's {@code BatchCollator(size_divisible)} ({@code to_image_list}): the images
 * of a batch go into one {@code [N, 3, H, W]} float32 tensor, {@code H} and {@code W} the largest
 * height and width of the batch rounded up to a multiple of {@code sizeDivisibility} (when > 0;
 * 32 for FPN), zero padding at the bottom and right; each image's real size and target are kept.
 * Rows are copied straight into the tensor's native memory, padding written once, never zeroed
 * twice; a deferred image (from {@link DetectionTransform#apply} with the native kernel) is
 * computed straight into its place in the tensor, with no intermediate array.
 */
public final class BatchCollator implements Function<List<DetectionSample>, ImageBatch> {

    private final int sizeDivisibility;

    public BatchCollator(int sizeDivisibility) {
        if (sizeDivisibility < 0) throw new IllegalArgumentException("sizeDivisibility must be >= 0, got " + sizeDivisibility);
        this.sizeDivisibility = sizeDivisibility;
    }

    public int sizeDivisibility() {
        return sizeDivisibility;
    }

    /** {@code ceil(size / d) * d} for {@code d > 0}, else {@code size}. */
    public static int roundUp(int size, int d) {
        return d > 0 ? (int) ((size + (long) d - 1) / d * d) : size;
    }

    @Override
    public ImageBatch apply(List<DetectionSample> samples) {
        if (samples.isEmpty()) throw new IllegalArgumentException("samples must not be empty");
        int n = samples.size();
        int c = samples.get(0).image().channels();
        int maxH = 0;
        int maxW = 0;
        for (int i = 0; i < n; i++) {
            FloatImage im = samples.get(i).image();
            if (im.channels() != c) {
                throw new IllegalArgumentException("samples[" + i + "] has " + im.channels() + " channels, samples[0] has " + c);
            }
            maxH = Math.max(maxH, im.height());
            maxW = Math.max(maxW, im.width());
        }
        int H = roundUp(maxH, sizeDivisibility);
        int W = roundUp(maxW, sizeDivisibility);
        int[] heights = new int[n];
        int[] widths = new int[n];
        int[] indices = new int[n];
        List<Target> targets = new ArrayList<>(n);
        Tensor t = Tensor.empty(DType.FLOAT32, Device.CPU, n, c, H, W);
        try {
            long planeBytes = (long) H * W * 4;
            for (int i = 0; i < n; i++) {
                DetectionSample s = samples.get(i);
                FloatImage im = s.image();
                int h = im.height();
                int w = im.width();
                heights[i] = h;
                widths[i] = w;
                indices[i] = s.index();
                targets.add(s.target());
                if (im.writeInto(t.address() + (long) i * c * planeBytes, W, (long) H * W)) {
                    // computed straight into the tensor, right padding included: zero the bottom rows
                    for (int ch = 0; ch < c; ch++) {
                        long base = t.address() + ((long) i * c + ch) * planeBytes;
                        if (H > h) View.zero(base + (long) h * W * 4, (long) (H - h) * W * 4);
                    }
                    continue;
                }
                float[] src = im.data();
                for (int ch = 0; ch < c; ch++) {
                    long base = t.address() + ((long) i * c + ch) * planeBytes;
                    FloatBuffer dst = view(base, (long) H * W);
                    float[] zeros = new float[W - w];
                    for (int y = 0; y < h; y++) {
                        dst.put(src, (ch * h + y) * w, w);
                        if (W > w) dst.put(zeros);
                    }
                    if (H > h) {
                        View.zero(base + (long) h * W * 4, (long) (H - h) * W * 4);
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return new ImageBatch(t, heights, widths, List.copyOf(targets), indices);
    }

    private static FloatBuffer view(long address, long floats) {
        if (floats > Integer.MAX_VALUE) throw new IllegalArgumentException("an image plane of " + floats + " floats exceeds 2^31");
        return new View(address, floats).asBuffer();
    }

    /** A non-owning pointer at native memory held by a tensor. */
    private static final class View extends FloatPointer {
        View(long address, long floats) {
            this.address = address;
            this.limit = floats;
            this.capacity = floats;
        }

        static void zero(long address, long bytes) {
            org.bytedeco.javacpp.Pointer.memset(new View(address, bytes / 4), 0, bytes);
        }
    }
}
