package dev.nativeext.tensor;

import org.bytedeco.cuda.global.cudart;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A contiguous n-dimensional array on the CPU or a CUDA device.
 *
 * <p>Shape {@code [d0, ..., dn-1]}, row-major strides (in elements), one {@link DType}. Memory is
 * native (64-byte aligned on the host) and released by {@link #close()}; a {@link Cleaner}
 * releases it if a tensor becomes unreachable unclosed. Any use after {@code close} is an
 * {@link IllegalStateException}; closing twice is harmless.
 *
 * <p><b>Native calls in flight.</b> Every op, and every generated binding that takes a tensor,
 * holds its tensors ({@link InFlight}) from before the native call until it returns: a held
 * tensor stays reachable (its Cleaner cannot run mid-call) and {@link #close()} on it, from any
 * thread, marks it closed at once (new calls fail) but frees its memory only when the last call
 * in flight returns. Closing a tensor that another thread is still using is a caller's bug; it
 * never crashes the JVM.
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
    /** Native calls in flight on this tensor, plus {@link #CLOSED} once closed. */
    private final AtomicInteger state = new AtomicInteger();
    private static final int CLOSED = Integer.MIN_VALUE;

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
        if (dtype == null) throw new IllegalArgumentException("dtype is null; expected one of " + Arrays.toString(DType.values()));
        if (device == null) throw new IllegalArgumentException("device is null; expected Device.CPU or Device.cuda(i)");
        long n = numel(shape);
        if (n > Long.MAX_VALUE / dtype.size() - Storage.ALIGNMENT) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs " + n + " x " + dtype.size()
                    + " bytes, more than a long can count; expected at most " + (Long.MAX_VALUE / dtype.size() - Storage.ALIGNMENT) + " elements");
        }
        return new Tensor(dtype, shape, Storage.allocate(device, n * dtype.size()));
    }

    public static Tensor zeros(DType dtype, Device device, long... shape) {
        Tensor t = empty(dtype, device, shape);
        t.storage.zero();
        return t;
    }

    public static Tensor of(float[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a float[] array");
        Tensor t = host(DType.FLOAT32, data.length, shape);
        t.storage.hostBuffer().asFloatBuffer().put(data);
        return t;
    }

    public static Tensor of(double[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a double[] array");
        Tensor t = host(DType.FLOAT64, data.length, shape);
        t.storage.hostBuffer().asDoubleBuffer().put(data);
        return t;
    }

    public static Tensor of(int[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a int[] array");
        Tensor t = host(DType.INT32, data.length, shape);
        t.storage.hostBuffer().asIntBuffer().put(data);
        return t;
    }

    public static Tensor of(long[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a long[] array");
        Tensor t = host(DType.INT64, data.length, shape);
        t.storage.hostBuffer().asLongBuffer().put(data);
        return t;
    }

    /** A uint8 tensor; use {@link #ofBool} for booleans. */
    public static Tensor of(byte[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a byte[] array");
        Tensor t = host(DType.UINT8, data.length, shape);
        t.storage.hostBuffer().put(data);
        return t;
    }

    public static Tensor ofBool(boolean[] data, long... shape) {
        if (data == null) throw new IllegalArgumentException("data is null; expected a boolean[] array");
        Tensor t = host(DType.BOOL, data.length, shape);
        ByteBuffer b = t.storage.hostBuffer();
        for (int i = 0; i < data.length; i++) b.put(i, (byte) (data[i] ? 1 : 0));
        return t;
    }

    /** {@code 0, 1, ..., n-1} as a 1-D CPU tensor. */
    public static Tensor arange(DType dtype, long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("arange: n must be in [0, " + (Integer.MAX_VALUE - 8) + "], got " + n);
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

    /** The size of {@code axis}, counted from the end when negative (-1: the last axis). */
    public long shape(int axis) {
        if (axis < -shape.length || axis >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for a " + shape.length + "-D tensor " + describe()
                    + "; expected [" + -shape.length + ", " + (shape.length - 1) + "]");
        }
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
        return (state.get() & CLOSED) != 0;
    }

    /**
     * Starts a use by a native call: until {@link #release()}, {@link #close()} defers freeing.
     * Fails, naming {@code what}, when the tensor is closed.
     */
    void acquire(String what) {
        for (;;) {
            int s = state.get();
            if ((s & CLOSED) != 0) throw new IllegalStateException(what + "tensor " + describe() + " is closed");
            if (s == Integer.MAX_VALUE) throw new IllegalStateException(what + "tensor " + describe() + " has too many calls in flight");
            if (state.compareAndSet(s, s + 1)) return;
        }
    }

    /** Ends a use; the last one after {@link #close()} frees the memory. */
    void release() {
        for (;;) {
            int s = state.get();
            if ((s & ~CLOSED) == 0) throw new IllegalStateException("tensor " + describe() + ": release without acquire");
            if (state.compareAndSet(s, s - 1)) {
                if (s - 1 == CLOSED) cleanable.clean();
                return;
            }
        }
    }

    /** The address of the first element, for native calls. */
    public long address() {
        checkOpen();
        return storage.address();
    }

    // ---- copies ------------------------------------------------------------------------------

    /**
     * A new tensor of this one's elements in {@code shape} (as many), on the same device: a copy
     * (every tensor owns its storage), made by one memcpy rather than through Java buffers: with
     * the caches emptied by the layers before it, torchvision resnet50's logits ([1, 1000, 1, 1]
     * to [1, 1000], at the end of each forward) took 73 µs that way and take 21 µs so (medians).
     */
    public Tensor reshape(long... shape) {
        checkOpen();
        long n = numel(shape);
        if (n != numel) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(shape) + " holds " + n + " elements, but " + describe()
                    + " has " + numel);
        }
        return copyInto(empty(dtype, device(), shape), device().isCuda() ? cudart.cudaMemcpyDeviceToDevice : -1, "cudaMemcpy for reshape");
    }

    /** This tensor on {@code device}: itself when already there, else a copy. */
    public Tensor to(Device device) {
        if (device == null) throw new IllegalArgumentException("to: device is null; expected Device.CPU or Device.cuda(i)");
        checkOpen();
        if (device.equals(device())) return this;
        int kind = device().isCuda() && device.isCuda() ? cudart.cudaMemcpyDeviceToDevice
                : device.isCuda() ? cudart.cudaMemcpyHostToDevice : cudart.cudaMemcpyDeviceToHost;
        return copyInto(empty(dtype, device, shape), kind, "cudaMemcpy to " + device);
    }

    /**
     * t (new, as many bytes as this) holding this tensor's bytes: cudaMemcpy of {@code kind}, or a
     * host memcpy where kind is -1 (what names the cudaMemcpy in its error); t is closed if the
     * copy fails.
     */
    private Tensor copyInto(Tensor t, int kind, String what) {
        try (InFlight held = InFlight.of(this)) {
            if (bytes() > 0 && kind >= 0) {
                Cuda.check(cudart.cudaMemcpy(t.storage.pointer(), storage.pointer(), bytes(), kind), what);
            } else if (bytes() > 0) {
                org.bytedeco.javacpp.Pointer.memcpy(t.storage.pointer(), storage.pointer(), bytes());
            }
        } catch (RuntimeException e) {
            t.close();
            throw e;
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
        try (InFlight held = InFlight.of(this)) {
            return switch (dtype) {
                case FLOAT32 -> storage.pointer().getFloat(index * 4);
                case FLOAT64 -> storage.pointer().getDouble(index * 8);
                default -> throw new IllegalArgumentException("getDouble reads float32 or float64 elements, not " + dtype);
            };
        }
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
        try (InFlight held = InFlight.of(h)) {
            read.accept(h.storage.hostBuffer());
        } finally {
            if (h != this) h.close();
        }
    }

    // ---- arithmetic --------------------------------------------------------------------------

    // Element-wise ops with NumPy broadcasting, by the ops layer's Elementwise (see TensorArithmetic).

    public Tensor add(Tensor other) {
        return arithmetic().add(this, other);
    }

    public Tensor sub(Tensor other) {
        return arithmetic().sub(this, other);
    }

    public Tensor mul(Tensor other) {
        return arithmetic().mul(this, other);
    }

    public Tensor div(Tensor other) {
        return arithmetic().div(this, other);
    }

    private static volatile TensorArithmetic arithmetic;

    /** The provider on the class path, found once (a race finds the same one twice, harmlessly). */
    private static TensorArithmetic arithmetic() {
        TensorArithmetic a = arithmetic;
        if (a == null) {
            a = java.util.ServiceLoader.load(TensorArithmetic.class, Tensor.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + TensorArithmetic.class.getName()
                            + " on the class path: nativeext's jar provides one (dev.nativeext.ops.ElementwiseArithmetic)"));
            arithmetic = a;
        }
        return a;
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    public void checkOpen() {
        if (isClosed()) throw new IllegalStateException("tensor " + describe() + " is closed");
    }

    /**
     * Closes the tensor: every later use fails. The memory is freed now, or, when native calls
     * are in flight on it (another thread's op), when the last of them returns. Never blocks.
     */
    @Override
    public void close() {
        int prior = state.getAndUpdate(s -> s | CLOSED);
        if (prior == 0) cleanable.clean();
    }

    public String describe() {
        return dtype + Arrays.toString(shape) + " on " + device();
    }

    @Override
    public String toString() {
        return "Tensor(" + describe() + (isClosed() ? ", closed" : "") + ")";
    }

    static long numel(long[] shape) {
        if (shape == null) throw new IllegalArgumentException("shape is null; expected sizes >= 0 (none for a scalar)");
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("negative size " + shape[i] + " at axis " + i + " of shape " + Arrays.toString(shape));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return 0;
        }
        for (int i = 0; i < shape.length; i++) {
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than " + Long.MAX_VALUE
                        + " elements; expected a product of sizes that fits a long");
            }
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
