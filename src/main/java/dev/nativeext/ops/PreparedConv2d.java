package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link Conv2d} whose weights are prepared once for a layer run many times: created from
 * {@code weight [C_out, C_in / groups, kh, kw]}, {@code bias [C_out]} (or null), {@link
 * Conv2d.Params} and an optional folded frozen batch norm {@code scale [C_out]}, {@code shift
 * [C_out]} (both or neither), it runs {@code relu?(conv(x) · scale + shift + residual)} exactly as
 * {@link Conv2d#forward} would with that epilogue — the same bits on the CPU — without laying the
 * weights out again on every call.
 *
 * <p>On the CPU it owns native buffers that hold the weights as the CPU path that runs reads
 * them (the scale folded in and packed for the direct kernel or the GEMM; for Winograd the
 * transformed weights). Which path runs depends on the input's plane size (and, for the AMX
 * route of the GEMM and pointwise paths, on {@link CpuOptions#isa()}), so each path's buffer is
 * prepared on its first use (thread-safe; at most six: GEMM, Winograd F(4x4) and F(2x2), direct,
 * and the AMX route's of GEMM and direct), or ahead of time with {@link #prepareFor}. On CUDA it runs {@link Conv2d}'s kernel on the weights
 * as given.
 *
 * <p>The tensors given stay the caller's: they must stay open and unchanged until {@link
 * #close()}, which frees only the prepared buffers. Calls may run on several threads at once;
 * {@code close()} waits for running calls. A call after {@code close()} throws
 * {@link IllegalArgumentException}.
 */
public final class PreparedConv2d implements AutoCloseable {

    private static final String OP = "Conv2d";

    private final Tensor weight, bias, scale, shift;
    private final Conv2d.Params params;
    private final long cin;
    /**
     * Prepared CPU buffers by path code (1 GEMM, 2 Winograd, 3 direct; 9 and 11 the AMX route of
     * 1 and 3, 18 Winograd F(2x2): include/ne_conv2d.h); guarded by {@code this}.
     */
    private final Tensor[] prepared = new Tensor[19];
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    private boolean closed;

    PreparedConv2d(Tensor weight, Tensor bias, Conv2d.Params params, Tensor scale, Tensor shift) {
        if (params == null) throw new IllegalArgumentException(OP + ": params must be given (Conv2d.Params.of(...)), got null");
        if (weight == null || weight.ndim() != 4) {
            throw new IllegalArgumentException(OP + ": weight must be a rank-4 tensor [C_out, C_in/groups, kh, kw], got "
                    + (weight == null ? "null" : Arrays.toString(weight.shape())));
        }
        if ((scale == null) != (shift == null)) {
            throw new IllegalArgumentException(OP + ": scale and shift must be given together, got scale "
                    + (scale == null ? "null" : scale.describe()) + ", shift " + (shift == null ? "null" : shift.describe()));
        }
        this.weight = weight;
        this.bias = bias;
        this.scale = scale;
        this.shift = shift;
        this.params = params;
        this.cin = weight.shape(1) * (long) params.groups();
        // the checks of a call on the smallest input these weights accept: weight's shape, dtypes, [C_out] vectors, devices
        long eh = (long) params.dilH() * (weight.shape(2) - 1) + 1, ew = (long) params.dilW() * (weight.shape(3) - 1) + 1;
        if (weight.numel() == 0) {
            throw new IllegalArgumentException(OP + ": weight must have every size >= 1, got " + Arrays.toString(weight.shape()));
        }
        Conv2d.Geometry.check(weight.dtype(), new long[] {1, cin, eh, ew}, weight, bias, params, epilogue(null, false));
        OpRegistry.commonDevice(OP, weight, bias, scale, shift);
    }

    public Tensor weight() {
        return weight;
    }

    public Conv2d.Params params() {
        return params;
    }

    /** The input channels {@code C_in} every input must have. */
    public long inChannels() {
        return cin;
    }

    public long outChannels() {
        return weight.shape(0);
    }

    /** A new output {@code [N, C_out, H_out, W_out]}; residual may be null. */
    public Tensor forward(Tensor input, Tensor residual, boolean relu) {
        return run(input, residual, relu, null, Conv2d.Algo.AUTO);
    }

    /** Writes into {@code out} and returns it (the residual may be out itself, as in {@link Conv2d}). */
    public Tensor forward(Tensor input, Tensor residual, boolean relu, Tensor out) {
        if (out == null) throw new IllegalArgumentException(OP + ": out must be a tensor, got null");
        return run(input, residual, relu, out, Conv2d.Algo.AUTO);
    }

    /**
     * {@code max_pool2d(relu?(conv(x) · scale + shift), kernel, stride, padding, dilation, ceilMode)}
     * as a new tensor {@code [N, C_out, OH, OW]} ({@link MaxPool2d}'s arguments and output size):
     * the ResNet stem's conv + frozen BN + ReLU + 3×3/2 max-pool in one call. On the CPU, for the
     * direct kernel's shapes (float32, groups 1, {@code C_in <= 4}, {@code stride_w <= 2},
     * {@code dilation_w 1}: the RGB stem), the pooling runs on each band of convolution rows while
     * it is in cache and the convolution's output is never stored; the same bits as {@link
     * #forward(Tensor, Tensor, boolean)} then {@link MaxPool2d#forward}, which is what runs
     * otherwise (and on CUDA).
     */
    public Tensor forwardMaxPool(Tensor input, boolean relu, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                 boolean ceilMode) {
        return runMaxPool(input, relu, kernel, stride, padding, dilation, ceilMode, null);
    }

    /**
     * {@link #forwardMaxPool(Tensor, boolean, int[], int[], int[], int[], boolean)} into {@code out}
     * (of the pooled shape, the input's dtype and device, not overlapping the input); returns it.
     */
    public Tensor forwardMaxPool(Tensor input, boolean relu, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                 boolean ceilMode, Tensor out) {
        if (out == null) throw new IllegalArgumentException(OP + ": out must be a tensor, got null");
        return runMaxPool(input, relu, kernel, stride, padding, dilation, ceilMode, out);
    }

    private Tensor runMaxPool(Tensor input, boolean relu, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode,
                              Tensor out) {
        String pool = MaxPool2d.MAX_POOL2D.name();
        lockOpen();
        try {
            checkInput(input);
            Conv2d.Epilogue e = epilogue(null, relu);
            Conv2d.Geometry g = Conv2d.Geometry.check(input, weight, bias, params, e);
            long[] pg = MaxPool2d.geometry(pool, new long[] {g.n(), g.cout(), g.ho(), g.wo()}, kernel, stride, padding, dilation, ceilMode);
            long[] shape = {g.n(), g.cout(), pg[8], pg[9]};
            if (out != null) {
                if (!Arrays.equals(out.shape(), shape) || out.dtype() != input.dtype() || out.device() != input.device()) {
                    throw new IllegalArgumentException(OP + ": out must be " + input.dtype() + " " + Arrays.toString(shape) + " on "
                            + input.device() + ", got " + out.describe());
                }
                if (out.address() < input.address() + input.bytes() && input.address() < out.address() + out.bytes()) {
                    throw new IllegalArgumentException(OP + ": out must not overlap input, got " + out.describe());
                }
            }
            Conv2d.Kernel k = OpRegistry.global().dispatch(Conv2d.CONV2D, input, weight, bias, scale, shift, out);
            Tensor o = out != null ? out : Tensor.empty(input.dtype(), input.device(), shape);
            try {
                if (!k.forwardPreparedMaxPool(this, input, relu, o, g.dims(), params.conv(), Arrays.copyOf(pg, 8))) {
                    try (Tensor y = Conv2d.runPrepared(this, input, bias, params, e, null, Conv2d.Algo.AUTO)) {
                        OpRegistry.global().dispatch(MaxPool2d.MAX_POOL2D, y).run(y, Arrays.copyOf(pg, 8), o);
                    }
                }
            } catch (RuntimeException ex) {
                if (out == null) o.close();
                throw ex;
            }
            return o;
        } finally {
            life.readLock().unlock();
        }
    }

    /**
     * Prepares, now, the CPU path that an input of {@code h × w} pixels runs on the current
     * {@link CpuOptions#isa()} (a no-op on CUDA or when already prepared); returns this.
     */
    public PreparedConv2d prepareFor(long h, long w) {
        if (h < 1 || w < 1) throw new IllegalArgumentException(OP + ": prepareFor needs h, w >= 1, got " + h + "x" + w);
        lockOpen();
        try {
            Conv2d.Geometry g = Conv2d.Geometry.check(weight.dtype(), new long[] {1, cin, h, w}, weight, bias, params, epilogue(null, false));
            Conv2d.Kernel k = OpRegistry.global().dispatch(Conv2d.CONV2D, weight, bias, scale, shift);
            k.prepare(this, g.dims(), params.conv(), Conv2d.Algo.AUTO.ordinal());
        } finally {
            life.readLock().unlock();
        }
        return this;
    }

    /** The input matches what was prepared: its dtype and C_in (null and other ranks are the op's checks). */
    private void checkInput(Tensor input) {
        if (input != null && input.dtype() != weight.dtype()) {
            throw new IllegalArgumentException(OP + ": input dtype must be " + weight.dtype() + " (the prepared weight's), got "
                    + input.dtype());
        }
        if (input != null && input.ndim() == 4 && input.shape(1) != cin) {
            throw new IllegalArgumentException(OP + ": input.shape[1] must be C_in = " + cin + " (the prepared weight "
                    + Arrays.toString(weight.shape()) + " with groups " + params.groups() + "), got " + Arrays.toString(input.shape()));
        }
    }

    Tensor run(Tensor input, Tensor residual, boolean relu, Tensor out, Conv2d.Algo algo) {
        lockOpen();
        try {
            checkInput(input);
            return Conv2d.runPrepared(this, input, bias, params, epilogue(residual, relu), out, algo);
        } finally {
            life.readLock().unlock();
        }
    }

    Conv2d.Epilogue epilogue(Tensor residual, boolean relu) {
        Conv2d.Epilogue e = Conv2d.Epilogue.none();
        if (scale != null) e = e.scaleShift(scale, shift);
        if (residual != null) e = e.residual(residual);
        return relu ? e.relu() : e;
    }

    Tensor bias() {
        return bias;
    }

    Tensor scale() {
        return scale;
    }

    Tensor shift() {
        return shift;
    }

    private void lockOpen() {
        life.readLock().lock();
        if (closed) {
            life.readLock().unlock();
            throw new IllegalArgumentException(OP + ": this PreparedConv2d (weight " + Arrays.toString(weight.shape()) + ") is closed");
        }
    }

    /**
     * Path {@code path}'s prepared buffer, made by {@code make} on first use; callers hold the read
     * lock. Remembered for these shapes and isa ({@link #lastPrepared}).
     */
    synchronized Tensor prepared(int path, long[] dims, long[] conv, int algo, int isa, java.util.function.LongFunction<Tensor> make,
                                 long bytes) {
        if (path < 1 || path >= prepared.length) throw new IllegalStateException(OP + ": unknown CPU path code " + path);
        if (prepared[path] == null) prepared[path] = make.apply(bytes);
        last = new Lookup(dims.clone(), conv.clone(), algo, isa, prepared[path]);
        return prepared[path];
    }

    /**
     * The prepared buffer of the last call's shapes and isa where these are the same (a layer runs
     * on one shape call after call), else null: the path and its size are then not asked of the
     * native library again (two native calls a forward, ~0.8 µs with cold caches).
     */
    Tensor lastPrepared(long[] dims, long[] conv, int algo, int isa) {
        Lookup l = last;
        return l != null && l.algo == algo && l.isa == isa && Arrays.equals(l.dims, dims) && Arrays.equals(l.conv, conv) ? l.prepared : null;
    }

    private record Lookup(long[] dims, long[] conv, int algo, int isa, Tensor prepared) {
    }

    private volatile Lookup last;

    /** Frees the prepared buffers (waits for running calls); idempotent. The caller's tensors stay open. */
    @Override
    public void close() {
        life.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            synchronized (this) {
                last = null;
                for (int i = 0; i < prepared.length; i++) {
                    if (prepared[i] != null) prepared[i].close();
                    prepared[i] = null;
                }
            }
        } finally {
            life.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "PreparedConv2d[weight " + Arrays.toString(weight.shape()) + ", " + params + (scale != null ? ", scaleShift" : "")
                + (closed ? ", closed" : "") + "]";
    }
}
