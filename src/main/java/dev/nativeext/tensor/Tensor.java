package dev.nativeext.tensor;

import org.bytedeco.cuda.global.cudart;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A contiguous n-dimensional array on the CPU or a CUDA device.
 *
 * <p>Shape {@code [d0, ..., dn-1]}, row-major strides (in elements), one {@link DType}. Memory is
 * native (64-byte aligned on the host) and released by {@link #close()}; a {@link Cleaner}
 * releases it if a tensor becomes unreachable unclosed. Any use after {@code close} is an
 * {@link IllegalStateException}; closing twice is harmless.
 *
 * <p>Arithmetic ({@link #add} and friends) follows NumPy broadcasting and runs through the op
 * registry on the tensors' device.
 */
public final class Tensor implements AutoCloseable {

    private static final Cleaner CLEANER = Cleaner.create();

    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long numel;
    private final Storage storage;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;

    private Tensor(DType dtype, long[] shape, Storage storage) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.numel = numel(shape);
        this.strides = contiguousStrides(shape);
        this.storage = storage;
        this.cleanable = CLEANER.register(this, storage);
    }

    // ---- factories ---------------------------------------------------------------------------

    /** Uninitialised memory. */
    public static Tensor empty(DType dtype, Device device, long... shape) {
        long n = numel(shape);
        return new Tensor(dtype, shape, Storage.allocate(device, Math.multiplyExact(n, (long) dtype.size())));
    }

    public static Tensor zeros(DType dtype, Device device, long... shape) {
        Tensor t = empty(dtype, device, shape);
        t.storage.zero();
        return t;
    }

    public static Tensor of(float[] data, long... shape) {
        Tensor t = host(DType.FLOAT32, data.length, shape);
        t.storage.hostBuffer().asFloatBuffer().put(data);
        return t;
    }

    public static Tensor of(double[] data, long... shape) {
        Tensor t = host(DType.FLOAT64, data.length, shape);
        t.storage.hostBuffer().asDoubleBuffer().put(data);
        return t;
    }

    public static Tensor of(int[] data, long... shape) {
        Tensor t = host(DType.INT32, data.length, shape);
        t.storage.hostBuffer().asIntBuffer().put(data);
        return t;
    }

    public static Tensor of(long[] data, long... shape) {
        Tensor t = host(DType.INT64, data.length, shape);
        t.storage.hostBuffer().asLongBuffer().put(data);
        return t;
    }

    /** A uint8 tensor; use {@link #ofBool} for booleans. */
    public static Tensor of(byte[] data, long... shape) {
        Tensor t = host(DType.UINT8, data.length, shape);
        t.storage.hostBuffer().put(data);
        return t;
    }

    public static Tensor ofBool(boolean[] data, long... shape) {
        Tensor t = host(DType.BOOL, data.length, shape);
        ByteBuffer b = t.storage.hostBuffer();
        for (int i = 0; i < data.length; i++) b.put(i, (byte) (data[i] ? 1 : 0));
        return t;
    }

    /** {@code 0, 1, ..., n-1} as a 1-D CPU tensor. */
    public static Tensor arange(DType dtype, long n) {
        Tensor t = empty(dtype, Device.CPU, n);
        ByteBuffer b = t.storage.hostBuffer();
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case FLOAT32 -> b.putFloat(i * 4, i);
                case FLOAT64 -> b.putDouble(i * 8, i);
                case INT32 -> b.putInt(i * 4, i);
                case INT64 -> b.putLong(i * 8, i);
                case UINT8, BOOL -> b.put(i, (byte) i);
            }
        }
        return t;
    }

    /** Uniform in {@code [low, high)}, float32, reproducible for a seed. */
    public static Tensor uniform(long seed, float low, float high, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[checkedInt(numel(shape))];
        for (int i = 0; i < d.length; i++) d[i] = low + (float) r.nextDouble() * (high - low);
        return of(d, shape);
    }

    /** Normal with the given mean and standard deviation, float32, reproducible for a seed. */
    public static Tensor normal(long seed, float mean, float std, long... shape) {
        Random r = new Random(seed);
        float[] d = new float[checkedInt(numel(shape))];
        for (int i = 0; i < d.length; i++) d[i] = mean + std * (float) r.nextGaussian();
        return of(d, shape);
    }

    /**
     * A CPU tensor holding a bulk copy of {@code src}'s bytes from its position to its limit, read
     * as little-endian elements (weights from a checkpoint, memory-mapped). The buffer's position
     * is left unchanged.
     */
    public static Tensor fromBytes(DType dtype, ByteBuffer src, long... shape) {
        long n = numel(shape);
        if ((long) src.remaining() != n * dtype.size()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs " + n * dtype.size()
                    + " bytes, but the buffer has " + src.remaining());
        }
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("fromBytes reads little-endian data on a little-endian host only");
        }
        Tensor t = empty(dtype, Device.CPU, shape);
        if (n > 0) t.storage.hostBuffer().put(src.duplicate());
        return t;
    }

    /** The raw little-endian bytes of this tensor (through a host copy for a CUDA tensor). */
    public byte[] toRawBytes() {
        checkOpen();
        byte[] a = new byte[checkedInt(bytes())];
        Tensor h = to(Device.CPU);
        try {
            h.storage.hostBuffer().get(a);
        } finally {
            if (h != this) h.close();
        }
        return a;
    }

    private static Tensor host(DType dtype, int length, long[] shape) {
        long n = numel(shape);
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " elements, but the data has " + length);
        }
        return empty(dtype, Device.CPU, shape);
    }

    // ---- accessors ---------------------------------------------------------------------------

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long shape(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    /** Row-major strides in elements. */
    public long[] strides() {
        return strides.clone();
    }

    public int ndim() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    public long bytes() {
        return numel * dtype.size();
    }

    public Device device() {
        return storage.device;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The address of the first element, for native calls. */
    public long address() {
        checkOpen();
        return storage.address();
    }

    // ---- copies ------------------------------------------------------------------------------

    /** This tensor on {@code device}: itself when already there, else a copy. */
    public Tensor to(Device device) {
        checkOpen();
        if (device.equals(device())) return this;
        Tensor t = empty(dtype, device, shape);
        int kind = device().isCuda() && device.isCuda() ? cudart.cudaMemcpyDeviceToDevice
                : device.isCuda() ? cudart.cudaMemcpyHostToDevice : cudart.cudaMemcpyDeviceToHost;
        if (bytes() > 0) {
            Cuda.check(cudart.cudaMemcpy(t.storage.pointer(), storage.pointer(), bytes(), kind), "cudaMemcpy to " + device);
        }
        return t;
    }

    public float[] toFloatArray() {
        float[] a = new float[checkedInt(numel)];
        readHost(DType.FLOAT32, b -> b.asFloatBuffer().get(a));
        return a;
    }

    public double[] toDoubleArray() {
        double[] a = new double[checkedInt(numel)];
        readHost(DType.FLOAT64, b -> b.asDoubleBuffer().get(a));
        return a;
    }

    public int[] toIntArray() {
        int[] a = new int[checkedInt(numel)];
        readHost(DType.INT32, b -> b.asIntBuffer().get(a));
        return a;
    }

    public long[] toLongArray() {
        long[] a = new long[checkedInt(numel)];
        readHost(DType.INT64, b -> b.asLongBuffer().get(a));
        return a;
    }

    /**
     * Element {@code index} (flat, row-major) of a float32 or float64 host tensor, as a double,
     * without copying the rest (error messages name the offending value this way).
     */
    public double getDouble(long index) {
        checkOpen();
        if (device().isCuda()) throw new IllegalArgumentException("getDouble reads host tensors; this one is on " + device());
        if (index < 0 || index >= numel) throw new IndexOutOfBoundsException("index " + index + " of " + numel + " elements");
        // storage.pointer() is a BytePointer positioned at the first element; get*(i) reads byte i past it.
        return switch (dtype) {
            case FLOAT32 -> storage.pointer().getFloat(index * 4);
            case FLOAT64 -> storage.pointer().getDouble(index * 8);
            default -> throw new IllegalArgumentException("getDouble reads float32 or float64 elements, not " + dtype);
        };
    }

    /** The bytes of a uint8 or bool tensor. */
    public byte[] toByteArray() {
        byte[] a = new byte[checkedInt(numel)];
        readHost(dtype == DType.BOOL ? DType.BOOL : DType.UINT8, b -> b.get(a));
        return a;
    }

    /** Reads the elements on the host, through a temporary copy for a CUDA tensor. */
    private void readHost(DType expected, java.util.function.Consumer<ByteBuffer> read) {
        checkOpen();
        if (dtype != expected) {
            throw new IllegalArgumentException("cannot read a " + dtype + " tensor as " + expected + " elements");
        }
        Tensor h = to(Device.CPU);
        try {
            read.accept(h.storage.hostBuffer());
        } finally {
            if (h != this) h.close();
        }
    }

    // ---- arithmetic --------------------------------------------------------------------------

    public Tensor add(Tensor other) {
        return dev.nativeext.ops.Elementwise.add(this, other);
    }

    public Tensor sub(Tensor other) {
        return dev.nativeext.ops.Elementwise.sub(this, other);
    }

    public Tensor mul(Tensor other) {
        return dev.nativeext.ops.Elementwise.mul(this, other);
    }

    public Tensor div(Tensor other) {
        return dev.nativeext.ops.Elementwise.div(this, other);
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    public void checkOpen() {
        if (closed) throw new IllegalStateException("tensor " + describe() + " is closed");
    }

    @Override
    public void close() {
        closed = true;
        cleanable.clean();
    }

    public String describe() {
        return dtype + Arrays.toString(shape) + " on " + device();
    }

    @Override
    public String toString() {
        return "Tensor(" + describe() + (closed ? ", closed" : "") + ")";
    }

    static long numel(long[] shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("negative size " + shape[i] + " at axis " + i + " of shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = step;
            step *= Math.max(1, shape[i]);
        }
        return s;
    }

    private static int checkedInt(long n) {
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(n + " elements do not fit a Java array");
        return (int) n;
    }
}
